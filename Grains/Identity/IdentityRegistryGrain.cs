using Imv.Grains.Interfaces.Identity;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.Identity;

/// <summary>One shard of the identity registry. Every change is written before it is acknowledged. Shards
/// never await each other inside a turn (shard A registering into B while B registers into A would
/// deadlock); the client-side <see cref="IdentityRegistry"/> sequences the two shards of a registration.
/// On activation a shard re-sends its unconfirmed reverse entries without waiting, and each confirmation
/// comes back as an ordinary call.</summary>
public sealed class IdentityRegistryGrain : Grain, IIdentityRegistryGrain
{
    private readonly IPersistentState<IdentityShardState> _state;
    private IdentityShardBook _book = null!;

    /// <summary>Created by the runtime.</summary>
    public IdentityRegistryGrain([PersistentState("identity")] IPersistentState<IdentityShardState> state)
    {
        _state = state;
    }

    private string Key => this.GetPrimaryKeyString();

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _book = new IdentityShardBook(_state.State);
        var factory = GrainFactory;
        var self = factory.GetGrain<IIdentityRegistryGrain>(Key);
        foreach (var b in _book.PendingReverse())
        {
            var (virtualId, identifier) = (b.VirtualId, b.Identifier);
            // Not awaited: the repair runs outside this activation's turn.
            _ = Task.Run(async () =>
            {
                try
                {
                    await factory.ReverseShardFor(virtualId).AddReverseAsync(virtualId, identifier);
                    await self.ConfirmReverseAsync(identifier);
                }
                catch (Exception)
                {
                    // Retried at the next activation.
                }
            }, CancellationToken.None);
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<IdentityRegistration> RegisterAsync(PhysicalIdentifier identifier, string virtualId)
    {
        CheckShard(identifier);
        var result = _book.Register(identifier, virtualId, DateTimeOffset.UtcNow);
        if (result.Status == RegistrationStatus.Registered) await _state.WriteStateAsync();
        return result;
    }

    /// <inheritdoc />
    public async Task ConfirmReverseAsync(PhysicalIdentifier identifier)
    {
        CheckShard(identifier);
        var canonical = IdentifierParser.Parse(identifier.Canonical);
        if (_book.PendingReverse().Any(b => b.Identifier.Canonical == canonical.Canonical))
        {
            _book.ConfirmReverse(canonical);
            await _state.WriteStateAsync();
        }
    }

    /// <inheritdoc />
    public async Task<string?> UnregisterAsync(PhysicalIdentifier identifier)
    {
        CheckShard(identifier);
        var removed = _book.Unregister(identifier);
        if (removed is null) return null;
        await _state.WriteStateAsync();
        return removed.VirtualId;
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
        if (_book.AddReverse(virtualId, IdentifierParser.Parse(identifier.Canonical))) await _state.WriteStateAsync();
    }

    /// <inheritdoc />
    public async Task RemoveReverseAsync(string virtualId, PhysicalIdentifier identifier)
    {
        if (_book.RemoveReverse(virtualId, IdentifierParser.Parse(identifier.Canonical))) await _state.WriteStateAsync();
    }

    /// <inheritdoc />
    public Task<IdentityShardCounts> GetCountsAsync() => Task.FromResult(_book.Counts());

    private void CheckShard(PhysicalIdentifier identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        var expected = IdentityRegistry.ShardKey(IdentityRegistry.ShardOf(identifier));
        if (expected != Key)
            throw new ArgumentException($"Identifier '{identifier.Canonical}' belongs to shard '{expected}', not '{Key}'; use IdentityRegistry to route.", nameof(identifier));
    }
}
