using Imv.Grains.Interfaces.Replay;
using System.Diagnostics;
using Imv.Persistence.Recording;

namespace Imv.Silo.Replay;

/// <summary>One replay: starts its sandbox, feeds it (<see cref="ReplayDriver"/>), then hashes the outcome and builds the
/// report; always stops and deletes the sandbox. Stopping it cancels the feed between entries; the recording is only
/// ever read.</summary>
public sealed class ReplayRun
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = new();
    private readonly ILogger _logger;
    private readonly IRecordingReader? _history;
    private volatile ReplayState _state = ReplayState.Running;
    private Task? _task;

    /// <summary>A replay of <paramref name="plan"/> (not started). Its twins start from their state recorded before the start,
    /// read through <paramref name="history"/> (<see cref="ReplaySeeder"/>); without one they start empty (the report says so).</summary>
    public ReplayRun(string id, ReplayPlan plan, string requestedBy, ILogger logger, IRecordingReader? history)
    {
        _history = history;
        Id = id;
        Plan = plan ?? throw new ArgumentNullException(nameof(plan));
        RequestedBy = requestedBy;
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>Its id.</summary>
    public string Id { get; }

    /// <summary>What it replays.</summary>
    public ReplayPlan Plan { get; }

    /// <summary>Who asked for it (avatar id).</summary>
    public string RequestedBy { get; }

    /// <summary>Its state.</summary>
    public ReplayState State => _state;

    /// <summary>How far it got.</summary>
    public ReplayProgress Progress { get; } = new();

    /// <summary>The sandbox's cluster id once started.</summary>
    public string? SandboxClusterId { get; private set; }

    /// <summary>When it started and finished.</summary>
    public DateTimeOffset StartedAt { get; private set; }

    /// <summary>When it finished; null while running.</summary>
    public DateTimeOffset? FinishedAt { get; private set; }

    /// <summary>Wall time spent feeding the recording (from the first entry to the last).</summary>
    public TimeSpan FeedTime => _clock.Elapsed;

    /// <summary>What the twins started from; null until seeded.</summary>
    public ReplaySeedSummary? Seed { get; private set; }

    /// <summary>The outcome's hash (completed replays).</summary>
    public string? Hash { get; private set; }

    /// <summary>The comparison with the original period (completed, and stopped up to where it got).</summary>
    public ReplayReport? Report { get; private set; }

    /// <summary>Why it failed.</summary>
    public string? Error { get; private set; }

    /// <summary>Recorded time fed over wall time.</summary>
    public double Speedup => FeedTime.TotalSeconds <= 0 ? 0 : (Progress.ReplayedUntil - Plan.From).TotalSeconds / FeedTime.TotalSeconds;

    /// <summary>Completes when the replay has finished (whatever its state) and its sandbox is gone.</summary>
    public Task Completion => _task ?? Task.CompletedTask;

    /// <summary>Starts the replay on the thread pool.</summary>
    public void Start(IReplayRecording recording)
    {
        ArgumentNullException.ThrowIfNull(recording);
        StartedAt = DateTimeOffset.UtcNow;
        _task = Task.Run(() => RunAsync(recording));
    }

    /// <summary>Runs the replay to its end (for callers that wait: the bench, tests).</summary>
    public Task RunAsync(IReplayRecording recording) => ExecuteAsync(recording, _stop.Token);

    /// <summary>Asks it to stop (between two entries).</summary>
    public void Stop()
    {
        if (_state == ReplayState.Running) _stop.Cancel();
    }

    private async Task ExecuteAsync(IReplayRecording recording, CancellationToken cancellationToken)
    {
        if (StartedAt == default) StartedAt = DateTimeOffset.UtcNow;
        var outputs = new SandboxOutputs(Plan);
        SandboxGrid? sandbox = null;
        ReplayDriver? driver = null;
        IReadOnlyDictionary<string, TwinStateView>? seeded = null;
        try
        {
            sandbox = await SandboxGrid.StartAsync(Id, outputs, cancellationToken).ConfigureAwait(false);
            SandboxClusterId = sandbox.ClusterId;
            _logger.LogInformation("Replay {ReplayId} of {Scope} from {From:O} to {To:O} ({Twins} twins, {Loops} loops, {Changes} changes) started in sandbox {ClusterId}",
                Id, Plan.Scope, Plan.From, Plan.To, Plan.Twins.Count, Plan.Loops.Count, Plan.Changes.Count, sandbox.ClusterId);
            driver = new ReplayDriver(Plan, recording, sandbox.Grains, Progress);
            await driver.ConfigureAsync(cancellationToken).ConfigureAwait(false);
            var seedClock = Stopwatch.StartNew();
            IReadOnlyDictionary<string, Imv.Grains.Interfaces.Twins.SeededTag[]> seeds = _history is null ? new Dictionary<string, Imv.Grains.Interfaces.Twins.SeededTag[]>()
                : await ReplaySeeder.ReadAsync(Plan, _history, cancellationToken).ConfigureAwait(false);
            seeded = await driver.SeedAsync(seeds, outputs, cancellationToken).ConfigureAwait(false);
            Seed = _history is null
                ? new ReplaySeedSummary(Plan.From, 0, 0, 0, 0, "The twins started empty: no recording to read their state before the start from.")
                : ReplaySeedSummary.Of(Plan.From, Plan.Twins.Count, seeded, seedClock.Elapsed, driver.SeededLoops);
            _logger.LogInformation("Replay {ReplayId}: {Note} ({Seconds:F2} s)", Id, Seed.Note, seedClock.Elapsed.TotalSeconds);
            _clock.Start();
            await driver.RunAsync(cancellationToken).ConfigureAwait(false);
            _clock.Stop();
            var final = new Dictionary<string, TwinStateView>(StringComparer.Ordinal);
            Hash = await driver.HashAsync(outputs, CancellationToken.None, final).ConfigureAwait(false);
            Report = ReplayReport.Build(Plan, Plan.To, id => driver.Original(id, Plan.To), id => outputs.Figures(id, Plan.To), Seed, seeded, final);
            _state = ReplayState.Completed;
            _logger.LogInformation("Replay {ReplayId} completed: {Entries} entries, {Readings} readings, {LoopSteps} loop steps in {Seconds:F1} s ({Speedup:F1}x); hash {Hash}",
                Id, Progress.Entries, Progress.Readings, Progress.LoopSteps, FeedTime.TotalSeconds, Speedup, Hash);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _clock.Stop();
            var until = Progress.ReplayedUntil;
            if (driver is not null)
                Report = ReplayReport.Build(Plan, until, id => driver.Original(id, until), id => outputs.Figures(id, until), Seed ?? ReplaySeedSummary.None(Plan.From), seeded);
            _state = ReplayState.Stopped;
            _logger.LogInformation("Replay {ReplayId} stopped: everything recorded before {Until:O} was replayed ({Entries} entries); the recording is untouched",
                Id, until, Progress.Entries);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _clock.Stop();
            Error = ex is InvalidDataException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
            _state = ReplayState.Failed;
            _logger.LogError(ex, "Replay {ReplayId} failed after {Entries} entries (replayed until {Until:O})", Id, Progress.Entries, Progress.ReplayedUntil);
        }
        finally
        {
            if (sandbox is not null) await sandbox.DisposeAsync().ConfigureAwait(false);
            FinishedAt = DateTimeOffset.UtcNow;
        }
    }
}
