namespace Imv.Silo.Summary;

/// <summary>The main job's figures at one instant (the live terminal summary and <c>GET /api/summary</c>).</summary>
/// <param name="At">When (UTC).</param>
/// <param name="Uptime">Time since the silo started.</param>
/// <param name="TwinsKnown">Twins in the twin status index (the whole grid, through any silo).</param>
/// <param name="TwinsActive">Machines below the enterprise that report (not Offline, not Unknown).</param>
/// <param name="Running">Machines running.</param>
/// <param name="Faulted">Machines faulted.</param>
/// <param name="ActiveAlarms">Active alarms below the enterprise.</param>
/// <param name="Oee">The enterprise's OEE.</param>
/// <param name="UpdatesPerSecond">Telemetry readings applied per second over the last interval.</param>
/// <param name="UpdatesApplied">Telemetry readings applied since start.</param>
/// <param name="CommandsApplied">Commands the plant confirmed since start.</param>
/// <param name="CommandsRejected">Commands refused since start.</param>
/// <param name="Activations">Grain activations in the silo.</param>
/// <param name="DataFile">The SQLite file; null for memory storage.</param>
/// <param name="ApiAddresses">The HTTP API's addresses.</param>
public sealed record GridSummary(DateTimeOffset At, TimeSpan Uptime, int TwinsKnown, long TwinsActive, long Running, long Faulted, long ActiveAlarms,
    double Oee, double UpdatesPerSecond, long UpdatesApplied, long CommandsApplied, long CommandsRejected, int Activations,
    string? DataFile, IReadOnlyList<string> ApiAddresses);
