using Imv.Grains.Interfaces.Identity;

namespace Imv.Grains.Identity;

/// <summary>The registry logic of one shard, over its state (no I/O): bind, resolve, unbind, reverse index.</summary>
public sealed class IdentityShardBook
{
    private readonly IdentityShardState _state;

    /// <summary>Wraps the state (which it reads and changes).</summary>
    public IdentityShardBook(IdentityShardState state) => _state = state ?? throw new ArgumentNullException(nameof(state));

    /// <summary>Binds; Duplicate (and no change) when already bound. The identifier must be canonical.</summary>
    public IdentityRegistration Register(PhysicalIdentifier identifier, string virtualId, DateTimeOffset now)
    {
        var id = Canonicalize(identifier);
        ArgumentException.ThrowIfNullOrWhiteSpace(virtualId);
        if (_state.Bindings.TryGetValue(id.Canonical, out var existing))
            return new IdentityRegistration(RegistrationStatus.Duplicate, id, existing.VirtualId);
        _state.Bindings.Add(id.Canonical, new IdentityBinding { Identifier = id, VirtualId = virtualId, RegisteredAt = now });
        return new IdentityRegistration(RegistrationStatus.Registered, id);
    }

    /// <summary>Looks up an identifier.</summary>
    public IdentityResolution Resolve(PhysicalIdentifier identifier)
    {
        var id = Canonicalize(identifier);
        return _state.Bindings.TryGetValue(id.Canonical, out var b)
            ? new IdentityResolution(ResolutionStatus.Found, id, b.VirtualId)
            : new IdentityResolution(ResolutionStatus.NotFound, id);
    }

    /// <summary>Removes a binding; the removed binding, or null when there was none.</summary>
    public IdentityBinding? Unregister(PhysicalIdentifier identifier)
    {
        var id = Canonicalize(identifier);
        return _state.Bindings.Remove(id.Canonical, out var b) ? b : null;
    }

    /// <summary>Marks a binding's reverse entry as confirmed.</summary>
    public void ConfirmReverse(PhysicalIdentifier identifier)
    {
        if (_state.Bindings.TryGetValue(identifier.Canonical, out var b)) b.ReverseConfirmed = true;
    }

    /// <summary>The bindings whose reverse entry is not confirmed.</summary>
    public IReadOnlyList<IdentityBinding> PendingReverse() => _state.Bindings.Values.Where(b => !b.ReverseConfirmed).ToList();

    /// <summary>Adds a reverse entry; false when present.</summary>
    public bool AddReverse(string virtualId, PhysicalIdentifier identifier)
    {
        if (!_state.Reverse.TryGetValue(virtualId, out var list)) _state.Reverse[virtualId] = list = [];
        if (list.Any(i => i.Canonical == identifier.Canonical)) return false;
        list.Add(identifier);
        return true;
    }

    /// <summary>Removes a reverse entry; false when absent.</summary>
    public bool RemoveReverse(string virtualId, PhysicalIdentifier identifier)
    {
        if (!_state.Reverse.TryGetValue(virtualId, out var list)) return false;
        var removed = list.RemoveAll(i => i.Canonical == identifier.Canonical) > 0;
        if (list.Count == 0) _state.Reverse.Remove(virtualId);
        return removed;
    }

    /// <summary>The identifiers bound to a virtual id, in canonical order.</summary>
    public IReadOnlyList<PhysicalIdentifier> Identifiers(string virtualId) =>
        _state.Reverse.TryGetValue(virtualId, out var list)
            ? list.OrderBy(i => i.Canonical, StringComparer.Ordinal).ToList()
            : [];

    /// <summary>Counts.</summary>
    public IdentityShardCounts Counts() =>
        new(_state.Bindings.Count, _state.Reverse.Values.Sum(l => l.Count), _state.Bindings.Values.Count(b => !b.ReverseConfirmed));

    /// <summary>Re-parses the identifier so that a hand-built one cannot bypass canonicalization.</summary>
    private static PhysicalIdentifier Canonicalize(PhysicalIdentifier identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        var parsed = IdentifierParser.Parse(identifier.Canonical);
        if (parsed.Kind != identifier.Kind)
            throw new ArgumentException($"Identifier '{identifier.Canonical}' is a {parsed.Kind}, not a {identifier.Kind}.", nameof(identifier));
        return parsed;
    }
}
