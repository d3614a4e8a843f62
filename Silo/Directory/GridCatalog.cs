using System.Collections.Concurrent;

namespace Imv.Silo.Directory;

/// <summary>The ids of the organizations, avatars and control loops the silo knows of (set up by the plant
/// bootstrap or created through the API), for the listing endpoints; grains themselves cannot be enumerated.
/// In memory: rebuilt on every start by the bootstrap.</summary>
public sealed class GridCatalog
{
    private readonly ConcurrentDictionary<string, byte> _avatars = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _loops = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _rootOrganizations = new(StringComparer.Ordinal);

    /// <summary>The root organization the live summary shows (the enterprise); null when none.</summary>
    public string? EnterpriseId { get; set; }

    /// <summary>Notes an avatar id.</summary>
    public void AddAvatar(string avatarId) => _avatars.TryAdd(avatarId, 0);

    /// <summary>Notes a control loop id.</summary>
    public void AddLoop(string loopId) => _loops.TryAdd(loopId, 0);

    /// <summary>Forgets a deleted control loop.</summary>
    public void RemoveLoop(string loopId) => _loops.TryRemove(loopId, out _);

    /// <summary>Notes a root organization id.</summary>
    public void AddRootOrganization(string organizationId) => _rootOrganizations.TryAdd(organizationId, 0);

    /// <summary>Known avatar ids, ordered.</summary>
    public IReadOnlyList<string> Avatars => [.. _avatars.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Known control loop ids, ordered.</summary>
    public IReadOnlyList<string> Loops => [.. _loops.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Known root organization ids, ordered.</summary>
    public IReadOnlyList<string> RootOrganizations => [.. _rootOrganizations.Keys.Order(StringComparer.Ordinal)];
}
