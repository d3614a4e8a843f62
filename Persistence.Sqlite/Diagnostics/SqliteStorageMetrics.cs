using System.Diagnostics.Metrics;

namespace Imv.Persistence.Sqlite;

/// <summary>Observable instruments of one grain state store on meter "Imv.Storage", tagged with the
/// database path: what an operator watches to see write-behind keep up (dirty records and journal size staying
/// bounded, checkpoints completing).</summary>
internal sealed class SqliteStorageMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Imv.Storage";

    private readonly Meter _meter;

    public SqliteStorageMetrics(GrainStateStore storage, string path)
    {
        _meter = new Meter(MeterName);
        var tag = new KeyValuePair<string, object?>("imv.storage.path", path);
        _meter.CreateObservableCounter("imv.storage.commits", () => new Measurement<long>(storage.CommittedBatches, tag),
            description: "Group commits (journal frames with write-behind, transactions without).");
        _meter.CreateObservableGauge("imv.storage.write_behind.dirty_records", () => new Measurement<int>(storage.DirtyRecords, tag),
            description: "Acknowledged records not yet checkpointed to grain_state.");
        _meter.CreateObservableGauge("imv.storage.write_behind.journal_bytes", () => new Measurement<long>(storage.JournalBytes, tag),
            unit: "By", description: "Bytes in the journal segment since the last checkpoint started.");
        _meter.CreateObservableCounter("imv.storage.write_behind.checkpoints", () => new Measurement<long>(storage.Checkpoints, tag),
            description: "Checkpoints completed.");
        _meter.CreateObservableCounter("imv.storage.write_behind.checkpoint_time", () => new Measurement<double>(storage.CheckpointTime.TotalSeconds, tag),
            unit: "s", description: "Time the writer spent in checkpoint transactions.");
    }

    public void Dispose() => _meter.Dispose();
}
