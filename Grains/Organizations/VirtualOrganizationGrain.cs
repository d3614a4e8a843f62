using Imv.Grains.Interfaces.Organizations;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Interfaces.Watching;
using Imv.Grains.Watching;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.Organizations;

/// <summary>A node of the organization tree. Structure and members are written at once; contributions
/// (which change with every machine report) are written behind, every <see cref="FlushPeriod"/> and on
/// deactivation. After a crash a contribution may be stale until that child reports again; the
/// aggregate is derived data, the machines hold the truth.</summary>
public sealed class VirtualOrganizationGrain : Grain, IVirtualOrganizationGrain
{
    /// <summary>How often dirty contributions are written.</summary>
    public static readonly TimeSpan FlushPeriod = TimeSpan.FromSeconds(5);

    private readonly IPersistentState<OrganizationState> _state;
    private AggregateBook _book = null!;
    private bool _dirty;
    private readonly ILogger _logger;
    private WatcherSet<IOrganizationObserver>? _watchers;   // created by the first watch

    // Children being adopted (between the adoption call and recording the child), and the newest report each
    // sent meanwhile (ReportChildAggregateAsync interleaves with AddChildOrganizationAsync).
    private readonly Dictionary<string, (OrganizationAggregate Aggregate, long Version)?> _adopting = new(StringComparer.Ordinal);

    /// <summary>Created by the runtime.</summary>
    public VirtualOrganizationGrain([PersistentState("organization")] IPersistentState<OrganizationState> state, ILogger<VirtualOrganizationGrain>? logger = null)
    {
        _state = state;
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    private string Id => this.GetPrimaryKeyString();

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _book = new AggregateBook(_state.State);
        this.RegisterGrainTimer(FlushAsync, FlushPeriod, FlushPeriod);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => FlushAsync(cancellationToken);

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (!_dirty) return;
        _dirty = false;
        await _state.WriteStateAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task InitializeAsync(OrganizationKind kind, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown organization kind.");
        var s = _state.State;
        if (s.Initialized && s.Kind != kind && (s.ParentId is not null || s.Children.Count > 0))
            throw new InvalidOperationException($"Organization '{Id}' is a {s.Kind} in a tree; its kind cannot change to {kind}.");
        if (s.Initialized && s.Kind == kind && s.Name == name) return;
        s.Initialized = true;
        s.Kind = kind;
        s.Name = name;
        await _state.WriteStateAsync();
    }

    /// <inheritdoc />
    public Task<OrganizationInfo> GetInfoAsync()
    {
        var s = _state.State;
        return Task.FromResult(new OrganizationInfo(
            Id, s.Kind, s.Name, s.ParentId,
            s.Children.Keys.Order(StringComparer.Ordinal).ToList(),
            s.Machines.Keys.Order(StringComparer.Ordinal).ToList(),
            s.Initialized,
            [.. s.Ancestors]));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> GetChildOrganizationsAsync() =>
        Task.FromResult<IReadOnlyList<string>>(_state.State.Children.Keys.Order(StringComparer.Ordinal).ToList());

    /// <inheritdoc />
    public async Task AddChildOrganizationAsync(string childId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(childId);
        var s = _state.State;
        if (!s.Initialized) throw new InvalidOperationException($"Organization '{Id}' is not initialized.");
        if (s.Children.ContainsKey(childId))
        {
            // Already a child: push the ancestry again, which repairs a subtree whose earlier push was cut short.
            await GrainFactory.GetGrain<IVirtualOrganizationGrain>(childId).SetAncestorsAsync(ChildAncestors());
            return;
        }
        if (childId == Id) throw new InvalidOperationException("An organization cannot contain itself.");
        var child = GrainFactory.GetGrain<IVirtualOrganizationGrain>(childId);
        var info = await child.GetInfoAsync();
        if (!info.Initialized) throw new InvalidOperationException($"Organization '{childId}' is not initialized.");
        if (info.Kind <= s.Kind)
            throw new InvalidOperationException($"A {s.Kind} cannot contain a {info.Kind} ('{childId}'); children must be at a deeper level.");
        OrganizationAdoption adoption;
        (OrganizationAggregate Aggregate, long Version)? reportedMeanwhile;
        _adopting[childId] = null;
        try
        {
            adoption = await child.AttachToParentAsync(Id, ChildAncestors());
        }
        finally
        {
            _adopting.Remove(childId, out reportedMeanwhile);
        }
        var added = _book.AddChild(childId, adoption.Aggregate, adoption.Version);
        if (reportedMeanwhile is { } newer) _book.ApplyChild(childId, newer.Aggregate, newer.Version);
        if (added)
        {
            await _state.WriteStateAsync();
            _dirty = false;
            await PushToParentAsync();
        }
    }

    /// <inheritdoc />
    public async Task RemoveChildOrganizationAsync(string childId)
    {
        if (!_book.RemoveChild(childId)) return;
        await _state.WriteStateAsync();
        _dirty = false;
        await GrainFactory.GetGrain<IVirtualOrganizationGrain>(childId).DetachFromParentAsync(Id);
        await PushToParentAsync();
    }

    /// <inheritdoc />
    public async Task AttachMachineAsync(string machineId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(machineId);
        if (!_book.AttachMachine(machineId)) return;
        await _state.WriteStateAsync();
        _dirty = false;
        await PushToParentAsync();
    }

    /// <inheritdoc />
    public async Task DetachMachineAsync(string machineId)
    {
        if (!_book.DetachMachine(machineId)) return;
        await _state.WriteStateAsync();
        _dirty = false;
        await PushToParentAsync();
    }

    /// <inheritdoc />
    public async Task ReportChildStatusAsync(string childId, MachineStatus status)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(childId);
        ArgumentNullException.ThrowIfNull(status);
        var attached = _state.State.Machines.ContainsKey(childId);
        if (!_book.ApplyMachine(childId, status)) return;
        if (!attached)
        {
            await _state.WriteStateAsync();
            _dirty = false;
        }
        else
        {
            _dirty = true;
        }
        await PushToParentAsync();
    }

    /// <inheritdoc />
    public async Task ReportChildAggregateAsync(string childId, OrganizationAggregate aggregate, long version)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        if (_adopting.TryGetValue(childId, out var pending))
        {
            if (pending is null || pending.Value.Version < version) _adopting[childId] = (aggregate, version);
            return;
        }
        if (!_book.ApplyChild(childId, aggregate, version)) return;
        _dirty = true;
        await PushToParentAsync();
    }

    /// <inheritdoc />
    public async Task<OrganizationAdoption> AttachToParentAsync(string parentId, IReadOnlyList<string> ancestors)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(parentId);
        ValidateAncestors(parentId, ancestors);
        var s = _state.State;
        if (!s.Initialized) throw new InvalidOperationException($"Organization '{Id}' is not initialized.");
        if (s.ParentId is not null && s.ParentId != parentId)
            throw new InvalidOperationException($"Organization '{Id}' already belongs to '{s.ParentId}'.");
        if (s.ParentId is null || !s.Ancestors.SequenceEqual(ancestors, StringComparer.Ordinal))
        {
            s.ParentId = parentId;
            s.Ancestors = [.. ancestors];
            await _state.WriteStateAsync();
            _dirty = false;
        }
        await PushAncestorsDownAsync();
        s.Version = NextVersion(s.Version);
        _dirty = true;
        return new OrganizationAdoption(s.Kind, s.Total, s.Version);
    }

    /// <inheritdoc />
    public async Task DetachFromParentAsync(string parentId)
    {
        var s = _state.State;
        if (s.ParentId != parentId) return;
        s.ParentId = null;
        s.Ancestors = [];
        await _state.WriteStateAsync();
        _dirty = false;
        await PushAncestorsDownAsync();
    }

    /// <inheritdoc />
    public async Task SetAncestorsAsync(IReadOnlyList<string> ancestors)
    {
        ArgumentNullException.ThrowIfNull(ancestors);
        var s = _state.State;
        if (s.ParentId is null || ancestors.Count == 0 || ancestors[^1] != s.ParentId) return;
        ValidateAncestors(s.ParentId, ancestors);
        if (!s.Ancestors.SequenceEqual(ancestors, StringComparer.Ordinal))
        {
            s.Ancestors = [.. ancestors];
            await _state.WriteStateAsync();
            _dirty = false;
        }
        // Always passed on, so that calling this again completes a push that a crash cut short below.
        await PushAncestorsDownAsync();
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> GetPathAsync() => Task.FromResult<IReadOnlyList<string>>(ChildAncestors());

    /// <summary>The ancestors of this organization's children: its own ancestors, then itself.</summary>
    private List<string> ChildAncestors() => [.. _state.State.Ancestors, Id];

    private async Task PushAncestorsDownAsync()
    {
        var children = _state.State.Children.Keys.ToList();
        if (children.Count == 0) return;
        var path = ChildAncestors();
        await Task.WhenAll(children.Select(c => GrainFactory.GetGrain<IVirtualOrganizationGrain>(c).SetAncestorsAsync(path)));
    }

    private void ValidateAncestors(string parentId, IReadOnlyList<string> ancestors)
    {
        ArgumentNullException.ThrowIfNull(ancestors);
        if (ancestors.Count == 0 || ancestors[^1] != parentId)
            throw new ArgumentException($"The ancestors of organization '{Id}' must end with its parent '{parentId}' (got [{string.Join(", ", ancestors)}]).", nameof(ancestors));
        for (int i = 0; i < ancestors.Count; i++)
            if (string.IsNullOrWhiteSpace(ancestors[i]) || ancestors[i] == Id)
                throw new ArgumentException($"The ancestors of organization '{Id}' may not contain itself or an empty id (got [{string.Join(", ", ancestors)}]).", nameof(ancestors));
    }

    /// <inheritdoc />
    public Task<OrganizationAggregate> GetAggregateAsync() => Task.FromResult(_book.Total);

    /// <inheritdoc />
    public async Task SetMemberAsync(string memberId, OrganizationRole role)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(memberId);
        if (!Enum.IsDefined(role)) throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown role.");
        var members = _state.State.Members;
        if (members.TryGetValue(memberId, out var existing) && existing.Role == role) return;
        members[memberId] = new OrganizationMember(memberId, role, DateTimeOffset.UtcNow);
        await _state.WriteStateAsync();
        _dirty = false;
    }

    /// <inheritdoc />
    public async Task<bool> RemoveMemberAsync(string memberId)
    {
        if (!_state.State.Members.Remove(memberId)) return false;
        await _state.WriteStateAsync();
        _dirty = false;
        return true;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<OrganizationMember>> GetMembersAsync() =>
        Task.FromResult<IReadOnlyList<OrganizationMember>>(
            _state.State.Members.Values.OrderBy(m => m.MemberId, StringComparer.Ordinal).ToList());

    /// <inheritdoc />
    public Task<OrganizationWatch> WatchAsync(IOrganizationObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        _watchers ??= new WatcherSet<IOrganizationObserver>(_logger);
        _watchers.Watch(observer);
        return Task.FromResult(new OrganizationWatch(_watchers.Position, _book.Total));
    }

    /// <inheritdoc />
    public Task UnwatchAsync(IOrganizationObserver observer)
    {
        _watchers?.Unwatch(observer);
        return Task.CompletedTask;
    }

    /// <summary>Every change of the aggregate passes here: the watchers hear it, then the parent.</summary>
    private async Task PushToParentAsync()
    {
        var s = _state.State;
        _watchers?.Publish(p => new OrganizationChange(Id, p, s.Total), static (o, c) => o.OnOrganizationChangedAsync(c));
        if (s.ParentId is null) return;
        s.Version = NextVersion(s.Version);
        _dirty = true;
        await GrainFactory.GetGrain<IVirtualOrganizationGrain>(s.ParentId).ReportChildAggregateAsync(Id, s.Total, s.Version);
    }

    /// <summary>Versions grow by at least one per report and never fall behind the clock, so a version lost in
    /// a crash (write-behind) is still overtaken by the next report after reactivation.</summary>
    internal static long NextVersion(long last) => Math.Max(last + 1, DateTime.UtcNow.Ticks);
}
