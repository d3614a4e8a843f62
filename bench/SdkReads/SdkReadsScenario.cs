using System.Diagnostics;
using System.Text.Json;
using Imv.Bench.Grid;

namespace Imv.Bench.SdkReads;

/// <summary>The cost of the SDK's authentication on reads: one silo (the main job's composition, in this process) with
/// a small simulated plant, and an SDK client connected through the gateway with the administrator's key, reading a
/// twin's snapshot (<c>IMachineGrain.GetSnapshotAsync</c>, right Read) in a closed loop: one call at a time
/// (<c>sequential_calls_per_s</c>, latency percentiles in µs), then <see cref="InFlight"/> at a time
/// (<c>parallel_calls_per_s</c>). Every call carries the key and passes the silo's gate (ClientCallGate).</summary>
internal static class SdkReadsScenario
{
    private const int InFlight = 64;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        bool quick = args.Contains("--quick");
        var window = TimeSpan.FromSeconds(quick ? 10 : 30);
        Console.Error.WriteLine("sdk-reads: starting a silo with 10 simulated machines");
        await using var silo = await MainJobSilo.StartAsync("sdkreads", 2, 5, cancellationToken);
        var adminKey = await silo.AdminKeyAsync(cancellationToken);
        await using var imv = await silo.ConnectAsync(adminKey, cancellationToken);
        var twins = await imv.Twins.ListAsync(null, cancellationToken);
        if (twins.Count == 0)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { scenario = "sdk-reads", missing = "the simulated plant did not come up" }));
            return 1;
        }
        var twin = imv.Twins.Grain(twins[0]);
        for (int i = 0; i < 2_000; i++) await twin.GetSnapshotAsync();   // warm up: activation, JIT, caches

        Console.Error.WriteLine($"sdk-reads: one call at a time for {window.TotalSeconds} s");
        var latencies = new List<double>(200_000);
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < window && !cancellationToken.IsCancellationRequested)
        {
            long start = Stopwatch.GetTimestamp();
            await twin.GetSnapshotAsync();
            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }
        double sequential = latencies.Count / watch.Elapsed.TotalSeconds;
        latencies.Sort();
        double P(double q) => latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];

        Console.Error.WriteLine($"sdk-reads: {InFlight} calls in flight over {twins.Count} twins for {window.TotalSeconds} s");
        long calls = 0;
        watch.Restart();
        await Task.WhenAll(Enumerable.Range(0, InFlight).Select(w => Task.Run(async () =>
        {
            var grain = imv.Twins.Grain(twins[w % twins.Count]);
            while (watch.Elapsed < window && !cancellationToken.IsCancellationRequested)
            {
                await grain.GetSnapshotAsync();
                Interlocked.Increment(ref calls);
            }
        }, CancellationToken.None)));
        double parallel = calls / watch.Elapsed.TotalSeconds;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            scenario = "sdk-reads",
            sequential_calls_per_s = Math.Round(sequential),
            sequential_p50_us = Math.Round(P(0.50), 1),
            sequential_p99_us = Math.Round(P(0.99), 1),
            parallel_calls_per_s = Math.Round(parallel),
            in_flight = InFlight,
            load_1min = BenchArguments.LoadAverage(),
        }));
        return 0;
    }
}
