using Imv.Gateways.Simulation;
using Imv.Grains.Interfaces.Avatars;
using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Identity;
using Imv.Grains.Interfaces.Organizations;
using Imv.Grains.Interfaces.Twins;
using Imv.Silo.Directory;
using Microsoft.Extensions.Options;

namespace Imv.Silo.Plant;

/// <summary>Sets up the grid of the simulated plant once the silo runs and before the simulator starts:
/// configures every machine twin, builds the organization tree, registers avatars with supervision edges,
/// creates the control loops and binds identifiers. Idempotent: at every start it brings the grains to the
/// configured layout, keeping what users changed since (a loop's setpoint or enabled state).</summary>
public sealed partial class PlantBootstrapService(
    IGrainFactory grains,
    SimulatedPlant plant,
    IOptions<PlantOptions> options,
    TwinDirectory directory,
    GridCatalog catalog,
    ILogger<PlantBootstrapService> logger) : IHostedService
{
    /// <summary>Completes when the bootstrap finished (or was skipped).</summary>
    public Task Completion => _completion.Task;

    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var o = options.Value;
            o.ThrowIfInvalid();
            // What was created through the API, listed whether or not the plant is bootstrapped.
            var created = await grains.GetGrain<IGridCatalogGrain>(IGridCatalogGrain.Key).GetAsync().ConfigureAwait(false);
            foreach (var avatar in created.Avatars) catalog.AddAvatar(avatar);
            foreach (var loop in created.Loops) catalog.AddLoop(loop);
            // Which gateway described which twin before the restart: a gateway that cannot connect now turns them Offline.
            if (created.TwinGateways is { } twinGateways)
                foreach (var (twinId, gateway) in twinGateways) directory.Observe(twinId, gateway);
            if (!plant.Options.Enabled || !o.Bootstrap)
            {
                // A silo of a cluster whose plant another silo bootstraps still shows that plant's enterprise.
                if (plant.Options.Enabled)
                {
                    catalog.EnterpriseId = o.EnterpriseId;
                    catalog.AddRootOrganization(o.EnterpriseId);
                }
                LogSkipped(logger, plant.Options.Enabled, o.Bootstrap);
                _completion.TrySetResult();
                return;
            }
            var started = TimeProvider.System.GetTimestamp();
            var layout = PlantLayout.From(plant.Topology, o);
            await RunAsync(layout, cancellationToken).ConfigureAwait(false);
            LogDone(logger, plant.Machines.Count, layout.LoopsByMachine.Count, layout.Avatars.Count, TimeProvider.System.GetElapsedTime(started));
            _completion.TrySetResult();
        }
        catch (Exception e)
        {
            _completion.TrySetException(e);
            throw;
        }
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task RunAsync(PlantLayout layout, CancellationToken cancellationToken)
    {
        var o = layout.Options;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = o.Parallelism, CancellationToken = cancellationToken };
        catalog.EnterpriseId = o.EnterpriseId;
        catalog.AddRootOrganization(o.EnterpriseId);

        var machines = plant.Topology.Sites.SelectMany(s => s.Lines.SelectMany(l => l.Machines.Select(m => (Machine: m, Line: l.Id)))).ToList();
        foreach (var (machine, line) in machines)
            directory.Set(new TwinDirectoryEntry(machine, TwinKind.Equipment, line, plant.Name));

        // 1. The organization tree: enterprise -> sites (factories) -> lines -> machines.
        await plant.Topology.BuildOrganizationsAsync(grains, o.EnterpriseId, o.EnterpriseName).ConfigureAwait(false);

        // 2. Avatars, their memberships and supervision edges (supervisors after the supervised are registered).
        foreach (var avatar in layout.Avatars)
        {
            await grains.GetGrain<IAvatarGrain>(avatar.AvatarId).RegisterAsync(new AvatarRegistration(
                avatar.DisplayName, AvatarKind.User, avatar.Role, Scopes: avatar.Scopes)).ConfigureAwait(false);
            var role = avatar.Role switch { AvatarRole.Manager => OrganizationRole.Manager, AvatarRole.Supervisor => OrganizationRole.Supervisor, _ => OrganizationRole.Operator };
            await grains.GetGrain<IVirtualOrganizationGrain>(avatar.OrganizationId).SetMemberAsync(avatar.AvatarId, role).ConfigureAwait(false);
            catalog.AddAvatar(avatar.AvatarId);
        }
        foreach (var avatar in layout.Avatars.Where(a => a.SupervisorId is not null))
            await grains.GetGrain<IAvatarGrain>(avatar.SupervisorId!).SuperviseAsync(avatar.AvatarId).ConfigureAwait(false);

        // 3. The machine twins.
        await Parallel.ForEachAsync(machines, parallel, async (m, _) =>
        {
            var twin = grains.GetGrain<IMachineGrain>(m.Machine);
            // Keep the loops authorized since (created through the API) besides the planned one.
            var current = await twin.GetConfigurationAsync().ConfigureAwait(false);
            var loops = (current?.ControlLoops ?? []).ToList();
            // A planned loop deleted through the API stays deleted.
            if (layout.LoopsByMachine.TryGetValue(m.Machine, out var loopId) && !loops.Contains(loopId, StringComparer.Ordinal)
                && !(await grains.GetGrain<IControlLoopGrain>(loopId).GetStatusAsync().ConfigureAwait(false)).Deleted) loops.Add(loopId);
            await twin.ConfigureAsync(TwinConfigurationOf(plant.TwinConfigurationFor(m.Machine), loops, o)).ConfigureAwait(false);
        }).ConfigureAwait(false);

        // 4. Control loops: configured and enabled when new; left as they are otherwise.
        await Parallel.ForEachAsync(layout.LoopsByMachine, parallel, async (pair, _) =>
        {
            var loop = grains.GetGrain<IControlLoopGrain>(pair.Value);
            var status = await loop.GetStatusAsync().ConfigureAwait(false);
            if (status.Deleted) return;
            catalog.AddLoop(pair.Value);
            if (status.Configuration is not null) return;
            await loop.ConfigureAsync(LoopConfigurationOf(pair.Key, o)).ConfigureAwait(false);
            if (o.EnableControlLoops) await loop.EnableAsync().ConfigureAwait(false);
            LogLoopCreated(logger, pair.Value, pair.Key);
        }).ConfigureAwait(false);

        // 5. Identities: a handle and a DID per machine; an employee number and a DID per avatar.
        var bindings = new List<(string Identifier, string VirtualId)>();
        foreach (var (machine, _) in machines)
        {
            bindings.Add((layout.HandleOf(machine), machine));
            bindings.Add((PlantLayout.DidOf(machine), machine));
        }
        for (int i = 0; i < layout.Avatars.Count; i++)
        {
            bindings.Add((PlantLayout.EmployeeNumberOf(i + 1), layout.Avatars[i].AvatarId));
            bindings.Add((PlantLayout.DidOf(layout.Avatars[i].AvatarId), layout.Avatars[i].AvatarId));
        }
        await Parallel.ForEachAsync(bindings, parallel, async (b, _) =>
        {
            var result = await grains.RegisterIdentityAsync(IdentifierParser.Parse(b.Identifier), b.VirtualId).ConfigureAwait(false);
            if (result.Status == RegistrationStatus.Duplicate && result.ExistingVirtualId != b.VirtualId)
                LogIdentityTaken(logger, result.Identifier.Canonical, result.ExistingVirtualId, b.VirtualId);
        }).ConfigureAwait(false);
    }

    /// <summary>The configuration of a simulated machine twin: the simulator's own (gateway, line, tags, methods,
    /// status mapping on its running/faulted flags and part counters) plus alarm bands on temperature and pressure,
    /// the machine's control loop, and no issuers beyond the avatars whose scopes include its line or an organization above it.</summary>
    internal static TwinConfiguration TwinConfigurationOf(TwinConfiguration simulator, IReadOnlyList<string> loops, PlantOptions o) => simulator with
    {
        Kind = TwinKind.Equipment,
        Coupling = CouplingMode.MutualDependence,
        AlarmBands =
        [
            new AlarmBand(TagNames.Temperature, High: o.TemperatureHigh, HighHigh: o.TemperatureHighHigh, Deadband: 1),
            new AlarmBand(TagNames.Pressure, High: o.PressureHigh, HighHigh: o.PressureHighHigh, Deadband: 0.05),
        ],
        AuthorizedIssuers = [],
        ControlLoops = loops,
        // The simulator confirms a command after the tick that applied it: its confirmation suffices.
        RequireReadBack = false,
    };

    /// <summary>The temperature loop of a machine: PID on the measured temperature, writing the temperature setpoint.</summary>
    internal static ControlLoopConfiguration LoopConfigurationOf(string machineId, PlantOptions o) => new(
        MeasuredTwinId: machineId,
        MeasuredTag: TagNames.Temperature,
        OutputTwinId: machineId,
        OutputTag: TagNames.TemperatureSetpoint,
        Setpoint: o.ControlLoopSetpoint,
        Law: ControlLawKind.Pid,
        SamplePeriod: o.ControlLoopPeriod,
        OutputMinimum: 20,
        OutputMaximum: 250,
        SafeOutput: 20,
        Action: ControlAction.Direct,
        Pid: new PidParameters(Kp: 0.5, Ki: 0.01, Kd: 0, Bias: o.ControlLoopSetpoint),
        RateLimit: 2);

    [LoggerMessage(Level = LogLevel.Information, Message = "Plant bootstrap skipped (simulator enabled: {SimulatorEnabled}, Plant:Bootstrap: {Bootstrap})")]
    private static partial void LogSkipped(ILogger logger, bool simulatorEnabled, bool bootstrap);

    [LoggerMessage(Level = LogLevel.Information, Message = "Plant bootstrap done: {Machines} machine twins, {Loops} control loops, {Avatars} avatars in {Elapsed}")]
    private static partial void LogDone(ILogger logger, int machines, int loops, int avatars, TimeSpan elapsed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Control loop {LoopId} created on twin {TwinId}")]
    private static partial void LogLoopCreated(ILogger logger, string loopId, string twinId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Identifier {Identifier} is bound to {ExistingVirtualId}, not {VirtualId}: left as it is")]
    private static partial void LogIdentityTaken(ILogger logger, string identifier, string? existingVirtualId, string virtualId);
}
