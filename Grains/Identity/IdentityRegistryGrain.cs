using Imv.Grains.Interfaces.Identity;
using Imv.Runtime;

namespace Imv.Grains.Identity;

/// <summary>One shard of the identity registry. Every change is written before it is acknowledged. A
/// registration is written with its reverse entry unconfirmed, then the reverse entry is added in the
/// virtual id's shard (idempotent) and confirmed; unconfirmed reverse entries are retried on activation.</summary>
public sealed class IdentityRegistryGrain : Grain, IIdentityRegistryGrain
{
    private readonly IPersistentState<IdentityShardState> _state;
    private IdentityShardBook _book = null!;

    /// <summary>Created by the runtime.</summary>
    public IdentityRegistryGrain([PersistentState("identity")] IPersistentState<IdentityShardState> state)
    {
        _state = state;
    }

    private string Key => GrainId.Key;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _book = new IdentityShardBook(_state.State);
        var pending = _book.PendingReverse();
        if (pending.Count == 0) return;
        foreach (var b in pending) await AddReverseEverywhereAsync(b.VirtualId, b.Identifier);
        foreach (var b in pending) _book.ConfirmReverse(b.Identifier);
        await _state.WriteStateAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IdentityRegistration> RegisterAsync(PhysicalIdentifier identifier, string virtualId)
    {
        CheckShard(identifier);
        var result = _book.Register(identifier, virtualId, DateTimeOffset.UtcNow);
        if (result.Status != RegistrationStatus.Registered) return result;
        await _state.WriteStateAsync();
        await AddReverseEverywhereAsync(virtualId, result.Identifier);
        _book.ConfirmReverse(result.Identifier);
        await _state.WriteStateAsync();
        return result;
    }

    /// <inheritdoc />
    public async Task<bool> UnregisterAsync(PhysicalIdentifier identifier)
    {
        CheckShard(identifier);
        var removed = _book.Unregister(identifier);
        if (removed is null) return false;
        await _state.WriteStateAsync();
        var reverseKey = IdentityRegistry.ShardKey(IdentityRegistry.ShardOfVirtualId(removed.VirtualId));
        if (reverseKey == Key)
        {
            if (_book.RemoveReverse(removed.VirtualId, removed.Identifier)) await _state.WriteStateAsync();
        }
        else
        {
            await GrainFactory.GetGrain<IIdentityRegistryGrain>(reverseKey).RemoveReverseAsync(removed.VirtualId, removed.Identifier);
        }
        return true;
    }

    /// <inheritdoc />
    public Task<IdentityResolution> ResolveAsync(PhysicalIdentifier identifier)
    {
        CheckShard(identifier);
        return Task.FromResult(_book.Resolve(identifier));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<IdentityResolution>> ResolveManyAsync(IReadOnlyList<PhysicalIdentifier> identifiers)
    {
        ArgumentNullException.ThrowIfNull(identifiers);
        var results = new List<IdentityResolution>(identifiers.Count);
        foreach (var id in identifiers)
        {
            CheckShard(id);
            results.Add(_book.Resolve(id));
        }
        return Task.FromResult<IReadOnlyList<IdentityResolution>>(results);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<PhysicalIdentifier>> GetIdentifiersAsync(string virtualId) => Task.FromResult(_book.Identifiers(virtualId));

    /// <inheritdoc />
    public async Task AddReverseAsync(string virtualId, PhysicalIdentifier identifier)
    {
        if (_book.AddReverse(virtualId, identifier)) await _state.WriteStateAsync();
    }

    /// <inheritdoc />
    public async Task RemoveReverseAsync(string virtualId, PhysicalIdentifier identifier)
    {
        if (_book.RemoveReverse(virtualId, identifier)) await _state.WriteStateAsync();
    }

    /// <inheritdoc />
    public Task<IdentityShardCounts> GetCountsAsync() => Task.FromResult(_book.Counts());

    private async Task AddReverseEverywhereAsync(string virtualId, PhysicalIdentifier identifier)
    {
        var reverseKey = IdentityRegistry.ShardKey(IdentityRegistry.ShardOfVirtualId(virtualId));
        if (reverseKey == Key)
        {
            // The same shard: a call to ourselves would wait on our own turn.
            _book.AddReverse(virtualId, identifier);
            return;
        }
        await GrainFactory.GetGrain<IIdentityRegistryGrain>(reverseKey).AddReverseAsync(virtualId, identifier);
    }

    private void CheckShard(PhysicalIdentifier identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        var expected = IdentityRegistry.ShardKey(IdentityRegistry.ShardOf(identifier));
        if (expected != Key)
            throw new ArgumentException($"Identifier '{identifier.Canonical}' belongs to shard '{expected}', not '{Key}'; use IdentityRegistry to route.", nameof(identifier));
    }
}
