using Imv.Grains.Interfaces.Replay;
using System.Collections.Concurrent;
using Imv.Persistence.Recording;

namespace Imv.Silo.Replay;

/// <summary>The silo's replays: one runs at a time (a sandbox takes the machine's cores), the last
/// <see cref="Kept"/> finished ones are kept for their reports. Stopping the silo stops a running replay.</summary>
public sealed class ReplayService(ILogger<ReplayService> logger) : IHostedService
{
    /// <summary>Finished replays kept.</summary>
    public const int Kept = 20;

    private readonly ConcurrentDictionary<string, ReplayRun> _runs = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _sequence;

    /// <summary>The replay running now, if any.</summary>
    public ReplayRun? Running => _runs.Values.FirstOrDefault(r => r.State == ReplayState.Running);

    /// <summary>Every replay kept, newest first.</summary>
    public IReadOnlyList<ReplayRun> All => [.. _runs.Values.OrderByDescending(r => r.StartedAt)];

    /// <summary>A replay by id; null when unknown.</summary>
    public ReplayRun? Find(string id) => _runs.GetValueOrDefault(id);

    /// <summary>Starts <paramref name="plan"/> (its twins seeded from <paramref name="history"/>, see <see cref="ReplayRun"/>);
    /// null (and the replay running) when another replay runs.</summary>
    public ReplayRun? TryStart(ReplayPlan plan, string requestedBy, IReplayRecording recording, IRecordingReader? history)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(recording);
        lock (_lock)
        {
            if (Running is not null) return null;
            var id = $"r{DateTimeOffset.UtcNow:yyyyMMddHHmmss}-{Interlocked.Increment(ref _sequence)}";
            var run = new ReplayRun(id, plan, requestedBy, logger, history);
            _runs[id] = run;
            foreach (var old in _runs.Values.Where(r => r.State != ReplayState.Running).OrderByDescending(r => r.StartedAt).Skip(Kept).ToList())
                _runs.TryRemove(old.Id, out _);
            run.Start(recording);
            return run;
        }
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var run in _runs.Values) run.Stop();
        await Task.WhenAll(_runs.Values.Select(r => r.Completion)).WaitAsync(cancellationToken).ConfigureAwait(false);
    }
}
