using System.Diagnostics;
using System.Diagnostics.Metrics;
using Imv.Runtime.Testing;
using Imv.Runtime.Tests.Grains;

namespace Imv.Runtime.Tests.Runtime;

public sealed class DiagnosticsTests
{
    [Fact]
    public async Task Calls_activations_and_latency_are_measured_on_the_Imv_Runtime_meter()
    {
        var seen = new Dictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == "Imv.Runtime") l.EnableMeasurementEvents(instrument); };
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => { lock (seen) seen[i.Name] = seen.GetValueOrDefault(i.Name) + v; });
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => { lock (seen) seen[i.Name] = seen.GetValueOrDefault(i.Name) + 1; });
        listener.Start();
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { InitialSilos = 1 });
        var grain = cluster.GrainFactory.GetGrain<ICounterGrain>("metered");
        for (int i = 0; i < 10; i++) await grain.IncrementAsync();
        // A call's duration is recorded as its completion runs, which may be just after the caller resumed.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            lock (seen)
                if (seen.GetValueOrDefault("imv.grain.call.duration") >= 10 && seen.GetValueOrDefault("imv.grain.calls") >= 10) break;
            await Task.Delay(10);
        }
        lock (seen)
        {
            Assert.True(seen.GetValueOrDefault("imv.grain.calls") >= 10);
            Assert.True(seen.GetValueOrDefault("imv.grain.activations") >= 1);
            Assert.True(seen.GetValueOrDefault("imv.grain.call.duration") >= 10);
        }
    }

    [Fact]
    public async Task A_grain_call_made_by_a_grain_is_a_child_span_of_the_callers_span()
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Imv.Runtime",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (spans) spans.Add(a); },
        };
        ActivitySource.AddActivityListener(listener);
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { InitialSilos = 2 });
        var a = cluster.GrainFactory.GetGrain<ICycleGrain>("span-a");
        var b = cluster.GrainFactory.GetGrain<ICycleGrain>("span-b");
        await a.StartCycleAsync(b);
        Activity[] snapshot;
        lock (spans) snapshot = spans.ToArray();
        var start = Assert.Single(snapshot, s => s.DisplayName == "ICycleGrain.StartCycleAsync");
        var callBack = Assert.Single(snapshot, s => s.DisplayName == "ICycleGrain.CallBackAsync");
        var ping = Assert.Single(snapshot, s => s.DisplayName == "ICycleGrain.PingAsync");
        Assert.Equal(start.SpanId, callBack.ParentSpanId);
        Assert.Equal(callBack.SpanId, ping.ParentSpanId);
        Assert.Equal(start.TraceId, ping.TraceId);
    }
}
