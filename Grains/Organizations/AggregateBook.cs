using Imv.Grains.Interfaces.Organizations;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Grains.Organizations;

/// <summary>The incremental aggregation logic of a virtual organization, over its state: each child's last
/// contribution is kept, and a new report changes the total by (new - old). No pass over the children is
/// ever needed; <see cref="Recompute"/> exists only to check the invariant.</summary>
public sealed class AggregateBook
{
    private readonly OrganizationState _state;

    /// <summary>Wraps the state (which it reads and changes).</summary>
    public AggregateBook(OrganizationState state) => _state = state ?? throw new ArgumentNullException(nameof(state));

    /// <summary>The running total.</summary>
    public OrganizationAggregate Total => _state.Total;

    /// <summary>Attaches a machine that has not reported yet; false when it was already attached.</summary>
    public bool AttachMachine(string machineId)
    {
        if (_state.Machines.ContainsKey(machineId)) return false;
        var contribution = new ChildContribution { Aggregate = OrganizationAggregate.UnknownMachine };
        _state.Machines.Add(machineId, contribution);
        _state.Total += contribution.Aggregate;
        return true;
    }

    /// <summary>Applies a machine's status, attaching it if needed. False when the status is older than the
    /// last one applied, or changes nothing.</summary>
    public bool ApplyMachine(string machineId, MachineStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        AttachMachine(machineId);
        var entry = _state.Machines[machineId];
        var version = status.ReportedAt.UtcTicks;
        if (version < entry.Version) return false;
        return Replace(entry, OrganizationAggregate.FromMachine(status), version);
    }

    /// <summary>Detaches a machine and removes its contribution; false when it was not attached.</summary>
    public bool DetachMachine(string machineId)
    {
        if (!_state.Machines.Remove(machineId, out var entry)) return false;
        _state.Total -= entry.Aggregate;
        return true;
    }

    /// <summary>Adds a child organization with its current aggregate; false when it was already a child.</summary>
    public bool AddChild(string childId, OrganizationAggregate aggregate, long version)
    {
        if (_state.Children.ContainsKey(childId)) return false;
        var entry = new ChildContribution();
        _state.Children.Add(childId, entry);
        Replace(entry, aggregate, version);
        return true;
    }

    /// <summary>Applies a child organization's aggregate. False when the child is unknown, the version is not
    /// newer than the last applied, or nothing changed.</summary>
    public bool ApplyChild(string childId, OrganizationAggregate aggregate, long version)
    {
        if (!_state.Children.TryGetValue(childId, out var entry)) return false;
        if (version <= entry.Version) return false;
        return Replace(entry, aggregate, version);
    }

    /// <summary>Removes a child organization and its contribution; false when it was not a child.</summary>
    public bool RemoveChild(string childId)
    {
        if (!_state.Children.Remove(childId, out var entry)) return false;
        _state.Total -= entry.Aggregate;
        return true;
    }

    /// <summary>The total recomputed from scratch over every contribution (for checks and tests).</summary>
    public OrganizationAggregate Recompute()
    {
        var total = OrganizationAggregate.Empty;
        foreach (var c in _state.Machines.Values) total += c.Aggregate;
        foreach (var c in _state.Children.Values) total += c.Aggregate;
        return total;
    }

    private bool Replace(ChildContribution entry, OrganizationAggregate aggregate, long version)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        entry.Version = version;
        if (entry.Aggregate == aggregate) return false;
        _state.Total = _state.Total - entry.Aggregate + aggregate;
        entry.Aggregate = aggregate;
        return true;
    }
}
