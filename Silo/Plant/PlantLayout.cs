using System.Globalization;
using Imv.Gateways.Simulation;

namespace Imv.Silo.Plant;

/// <summary>The grid the bootstrap sets up for a simulated topology, computed (deterministically) from the
/// topology and the <see cref="PlantOptions"/>: which machines get a control loop, which avatars exist with
/// which scopes, and which identifiers are bound to what.</summary>
public sealed class PlantLayout
{
    private PlantLayout(SimulatedTopology topology, PlantOptions options)
    {
        Topology = topology;
        Options = options;
        var machines = topology.MachineIds.ToList();
        var loops = new Dictionary<string, string>(StringComparer.Ordinal);
        // Spread the loops evenly: machine i gets one when floor((i + 1) x share) > floor(i x share).
        for (int i = 0; i < machines.Count; i++)
            if (Math.Floor((i + 1) * options.ControlLoopShare) > Math.Floor(i * options.ControlLoopShare))
                loops[machines[i]] = LoopIdOf(machines[i]);
        LoopsByMachine = loops;

        // Scopes cover everything below them in the organization tree: the manager's is the enterprise, a supervisor's its site.
        var avatars = new List<PlannedAvatar> { new(ManagerId, "Plant manager", Grains.Interfaces.Avatars.AvatarRole.Manager, [options.EnterpriseId], options.EnterpriseId, null) };
        foreach (var site in topology.Sites)
        {
            var supervisor = "supervisor." + site.Id;
            avatars.Add(new(supervisor, $"Supervisor of {site.Name}", Grains.Interfaces.Avatars.AvatarRole.Supervisor,
                [site.Id], site.Id, ManagerId));
            foreach (var line in site.Lines)
                for (int w = 1; w <= options.WorkersPerLine; w++)
                    avatars.Add(new($"worker.{line.Id}.{w.ToString(CultureInfo.InvariantCulture)}", $"Worker {w} of {line.Name}",
                        Grains.Interfaces.Avatars.AvatarRole.Worker, [line.Id], line.Id, supervisor));
        }
        Avatars = avatars;
    }

    /// <summary>The avatar id of the plant manager.</summary>
    public const string ManagerId = "manager";

    /// <summary>The topology.</summary>
    public SimulatedTopology Topology { get; }

    /// <summary>The options.</summary>
    public PlantOptions Options { get; }

    /// <summary>Machine id to the id of its control loop, for the machines that have one.</summary>
    public IReadOnlyDictionary<string, string> LoopsByMachine { get; }

    /// <summary>The avatars, managers first, then each site's supervisor followed by its workers.</summary>
    public IReadOnlyList<PlannedAvatar> Avatars { get; }

    /// <summary>The control loop id of a machine's temperature loop.</summary>
    public static string LoopIdOf(string machineId) => "loop." + machineId + ".temperature";

    /// <summary>The industrial identifier (handle) of a machine.</summary>
    public string HandleOf(string machineId) => Options.HandlePrefix + "/" + machineId;

    /// <summary>The DID of a machine or avatar.</summary>
    public static string DidOf(string virtualId) => "did:imv:" + virtualId;

    /// <summary>The employee number of the n-th avatar (1-based).</summary>
    public static string EmployeeNumberOf(int index) => "emp:E" + index.ToString("0000", CultureInfo.InvariantCulture);

    /// <summary>Computes the layout.</summary>
    public static PlantLayout From(SimulatedTopology topology, PlantOptions options)
    {
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        return new PlantLayout(topology, options);
    }
}

/// <summary>An avatar the bootstrap registers.</summary>
/// <param name="AvatarId">Its id.</param>
/// <param name="DisplayName">Its name.</param>
/// <param name="Role">Manager, supervisor or worker.</param>
/// <param name="Scopes">The organization ids it may command (a scope covers every organization and twin below it).</param>
/// <param name="OrganizationId">The organization it is a member of.</param>
/// <param name="SupervisorId">The avatar supervising it; null for the manager.</param>
public sealed record PlannedAvatar(string AvatarId, string DisplayName, Grains.Interfaces.Avatars.AvatarRole Role,
    IReadOnlyList<string> Scopes, string OrganizationId, string? SupervisorId);
