using Imv.Gateways.Simulation;
using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Twins;
using Imv.Persistence.Recording;
using Imv.Persistence.Sqlite.Recording;
using Imv.Silo.Plant;
using Imv.Silo.Replay;

namespace Imv.Bench.Replay;

/// <summary>The simulated plant as the main job's bootstrap sets it up (twin configurations, temperature loops), as a
/// replay's source: the grid a replay would read, without running one.</summary>
internal sealed class PlantReplaySource : IReplaySource
{
    private readonly Dictionary<string, TwinConfiguration> _twins = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ControlLoopConfiguration> _loops = new(StringComparer.Ordinal);
    private readonly IReplayRecording _recording;

    public PlantReplaySource(SimulatedPlant plant, PlantOptions options, IReplayRecording recording)
    {
        _recording = recording;
        var layout = PlantLayout.From(plant.Topology, options);
        foreach (var m in plant.Machines)
        {
            IReadOnlyList<string> loops = layout.LoopsByMachine.TryGetValue(m.Id, out var loopId) ? [loopId] : [];
            _twins[m.Id] = PlantBootstrapService.TwinConfigurationOf(plant.TwinConfigurationFor(m.Id), loops, options);
            if (loopId is not null) _loops[loopId] = PlantBootstrapService.LoopConfigurationOf(m.Id, options);
        }
    }

    public IReadOnlyList<string> AllTwins() => [.. _twins.Keys.Order(StringComparer.Ordinal)];

    public Task<IReadOnlyCollection<string>?> OrganizationTwinsAsync(string organizationId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyCollection<string>?>(null);

    public Task<TwinConfiguration?> TwinAsync(string twinId, CancellationToken cancellationToken) => Task.FromResult(_twins.GetValueOrDefault(twinId));

    public Task<(ControlLoopConfiguration Configuration, bool Enabled)?> LoopAsync(string loopId, CancellationToken cancellationToken) =>
        Task.FromResult<(ControlLoopConfiguration, bool)?>(_loops.TryGetValue(loopId, out var c) ? (c, true) : null);

    public bool HasRecorded(string twinId, DateTimeOffset from, DateTimeOffset to) => _recording.HasEntries(twinId, from, to);
}
