using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Recording;
using Imv.Grains.Interfaces.Twins;
using Microsoft.Extensions.Logging;

namespace Imv.Persistence.Recording;

/// <summary>What every recorder is on its write side, whatever stores the recording: the twins' entry points
/// (<see cref="ITwinRecorder"/>, encoded and queued on the twin's turn, never blocking), one <see cref="RecordingWriter"/>
/// over the recorder's store (a thread of its own, group commits, retries, retention), the figures the bench and the
/// health read, and the host's start and stop (the recorders are hosted services: the members match
/// <c>IHostedService</c>). The SQLite and PostgreSQL recorders derive from it and add their reads.</summary>
public abstract class TwinRecorderBase : ITwinRecorder, IAsyncDisposable
{
    private readonly IRecordingStore _store;
    private readonly RecordingWriter _writer;

    /// <summary>A recorder over <paramref name="store"/>, opened by the derived recorder; its writer's thread (named
    /// <paramref name="threadName"/>) starts with <see cref="StartAsync"/> (or the derived recorder's
    /// <see cref="StartWriter"/>). <paramref name="location"/> names the recording in logs and errors.</summary>
    internal TwinRecorderBase(IRecordingStore store, RecordingOptions options, string location, string threadName, TimeProvider? time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _store = store;
        Location = location;
        _writer = new RecordingWriter(store, options, location, threadName, time ?? TimeProvider.System, logger);
    }

    /// <summary>Where the recording is, for messages: a file path, or a PostgreSQL table with its database.</summary>
    public string Location { get; }

    /// <summary>For measurements (bench ingest with and without recording in one run): while true, twins' entries
    /// are not recorded at all (nothing is queued, nothing counted as dropped).</summary>
    public bool Paused { get => _writer.Intake.Paused; set => _writer.Intake.Paused = value; }

    /// <summary>Entries handed over and queued.</summary>
    public long Enqueued => _writer.Enqueued;

    /// <summary>Entries committed.</summary>
    public long Committed => _writer.Committed;

    /// <summary>Readings committed.</summary>
    public long CommittedReadings => _writer.CommittedReadings;

    /// <summary>Entries dropped because the queue was full (or the recorder stopped).</summary>
    public long Dropped => _writer.Dropped;

    /// <summary>Group commits so far.</summary>
    public long Commits => _writer.Commits;

    /// <summary>Time the writer spent committing (retries included).</summary>
    public TimeSpan CommitTime => _writer.CommitTime;

    /// <summary>CPU time of the writer's thread so far (Linux; null elsewhere): what the recording costs the machine
    /// beyond the twins' turns, however busy the machine is.</summary>
    public TimeSpan? WriterCpuTime => _writer.WriterCpuTime;

    /// <summary>Entries deleted by this recorder's retention passes.</summary>
    public long DeletedByRetention => _writer.DeletedByRetention;

    /// <inheritdoc />
    public void RecordReadings(string twinId, DateTimeOffset receivedAt, ReadOnlySpan<TagUpdate> updates, ReadOnlySpan<bool> accepted) =>
        _writer.Intake.RecordReadings(twinId, receivedAt, updates, accepted);

    /// <inheritdoc />
    public void RecordCommand(string twinId, CommandRecord record) => _writer.Intake.RecordCommand(twinId, record);

    /// <summary>Waits until every entry handed over before the call is committed (or dropped) and readable; throws
    /// when the writer is not started or stopped on a failure.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) => _writer.FlushAsync(cancellationToken);

    /// <summary>Starts the writer (nothing is written before; entries handed over meanwhile wait in the queue). Once.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        StartWriter();
        return Task.CompletedTask;
    }

    /// <summary>No more entries are taken; what is queued is committed, then the open minutes and whatever the store holds
    /// in memory are written and the figures logged.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => _writer.StopAsync(cancellationToken);

    /// <summary>Stops (as <see cref="StopAsync"/>, without a deadline), then closes the store.</summary>
    public async ValueTask DisposeAsync()
    {
        try { await _writer.DisposeAsync().ConfigureAwait(false); }
        finally { await _store.DisposeAsync().ConfigureAwait(false); }
    }

    /// <summary>The recording's tag schemas (the reads decode entries of version 3 with them).</summary>
    private protected TagSchemas Schemas => _writer.Schemas;

    /// <summary>Starts the writer's thread now (a recorder whose store is ready when constructed).</summary>
    private protected void StartWriter() => _writer.Start();

    /// <summary>One retention pass now, counted and logged as the writer's own; returns the entries deleted.</summary>
    private protected long ApplyRetentionNow(long nowTicks) => _writer.ApplyRetention(nowTicks);
}
