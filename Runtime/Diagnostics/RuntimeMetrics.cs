using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Imv.Runtime.Diagnostics;

/// <summary>The runtime's instruments, on meter "Imv.Runtime". Recording is a no-op when nobody listens.</summary>
internal sealed class RuntimeMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Imv.Runtime";

    /// <summary>Spans of grain calls.</summary>
    public static readonly ActivitySource ActivitySource = new("Imv.Runtime");

    private readonly Meter _meter;
    private readonly UpDownCounter<long> _activations;
    private readonly Counter<long> _calls;
    private readonly Counter<long> _expired;
    private readonly UpDownCounter<long> _queued;
    private readonly Histogram<double> _storage;
    private readonly Histogram<double> _callDuration;
    private readonly KeyValuePair<string, object?> _siloTag;

    public RuntimeMetrics(string silo)
    {
        _meter = new Meter(MeterName);
        _siloTag = new("imv.silo", silo);
        _activations = _meter.CreateUpDownCounter<long>("imv.grain.activations", description: "Live grain activations.");
        _calls = _meter.CreateCounter<long>("imv.grain.calls", description: "Grain calls completed.");
        _expired = _meter.CreateCounter<long>("imv.grain.calls.expired", description: "Grain calls that expired before running.");
        _queued = _meter.CreateUpDownCounter<long>("imv.grain.queue.length", description: "Grain calls queued or running.");
        _storage = _meter.CreateHistogram<double>("imv.storage.duration", "ms", "Storage operation latency.");
        _callDuration = _meter.CreateHistogram<double>("imv.grain.call.duration", "ms", "Grain call latency seen by callers.");
    }

    public void ActivationCreated() { if (_activations.Enabled) _activations.Add(1, _siloTag); }

    public void ActivationRemoved() { if (_activations.Enabled) _activations.Add(-1, _siloTag); }

    public void CallQueued() { if (_queued.Enabled) _queued.Add(1, _siloTag); }

    public void CallCompleted()
    {
        if (_calls.Enabled) _calls.Add(1, _siloTag);
        if (_queued.Enabled) _queued.Add(-1, _siloTag);
    }

    public void CallExpired()
    {
        if (_expired.Enabled) _expired.Add(1, _siloTag);
        if (_queued.Enabled) _queued.Add(-1, _siloTag);
    }

    public bool CallDurationEnabled => _callDuration.Enabled;

    public void CallDuration(long startTimestamp) =>
        _callDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds, _siloTag);

    public void StorageOperation(string operation, long startTimestamp)
    {
        if (_storage.Enabled)
            _storage.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds, _siloTag, new("imv.storage.operation", operation));
    }

    public void Dispose() => _meter.Dispose();
}
