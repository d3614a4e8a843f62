using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Imv.Bench.Grid;

namespace Imv.Bench.Ping;

/// <summary>Orleans' call path against its floor: a bare channel round trip to a worker task,
/// measured in the same run, plus throughput with 1,000 grains and memory per idle activation.</summary>
public static class PingScenario
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        bool quick = args.Contains("--quick");
        int rounds = quick ? 7 : 15;
        int callsPerRound = quick ? 100_000 : 400_000;
        var parallelDuration = TimeSpan.FromSeconds(quick ? 2 : 6);
        int activations = 100_000;

        await using var host = await BenchSilo.StartAsync("memory", null, cancellationToken);
        var silo = host.Grains;

        // The floor and the grain call alternate round by round, so both see the same machine (thread-pool
        // warmth, other load); each figure is the median of its rounds.
        Console.Error.WriteLine("ping: channel round trip (floor) and awaited grain call, alternating rounds...");
        var channelRounds = new List<double>();
        var grainRounds = new List<double>();
        var insideRounds = new List<double>();
        var caller = silo.GetGrain<IPingCallerGrain>(0);
        for (int round = 0; round < rounds; round++)
        {
            channelRounds.Add(await MeasureChannelHopAsync(1, callsPerRound, cancellationToken));
            grainRounds.Add(await MeasureGrainCallAsync(silo, 1, callsPerRound, cancellationToken));
            insideRounds.Add(await caller.CallAsync(0, callsPerRound) / callsPerRound);
        }
        double channelNs = Median(channelRounds);
        double grainNs = Median(grainRounds);
        double insideNs = Median(insideRounds);
        Console.Error.WriteLine($"ping: grain_to_grain_call_ns={insideNs:F0} (a grain awaiting another, same silo)");
        Console.Error.WriteLine($"ping: channel_hop_ns={channelNs:F0} (rounds {string.Join(", ", channelRounds.Select(r => r.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))})");
        Console.Error.WriteLine($"ping: grain_call_ns={grainNs:F0} (rounds {string.Join(", ", grainRounds.Select(r => r.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))})");

        Console.Error.WriteLine("ping: 1,000 grains called concurrently...");
        double perSecond = await MeasureParallelAsync(silo, 1000, parallelDuration, cancellationToken);
        Console.Error.WriteLine($"ping: calls_per_s_parallel={perSecond:F0}");

        Console.Error.WriteLine($"ping: memory of {activations:N0} idle activations...");
        double bytes = await MeasureActivationBytesAsync(host, activations, cancellationToken);
        Console.Error.WriteLine($"ping: bytes_per_activation={bytes:F0}");

        var figures = new Dictionary<string, object>
        {
            ["grain_call_ns"] = Math.Round(grainNs),
            ["channel_hop_ns"] = Math.Round(channelNs),
            ["grain_call_vs_channel"] = Math.Round(grainNs / channelNs, 2),
            ["grain_to_grain_call_ns"] = Math.Round(insideNs),
            ["calls_per_s_parallel"] = Math.Round(perSecond),
            ["bytes_per_activation"] = Math.Round(bytes),
            ["runtime"] = "orleans",
            ["processors"] = Environment.ProcessorCount,
        };
        await host.DisposeAsync();
        Console.WriteLine(JsonSerializer.Serialize(figures));
        return 0;
    }

    private static async Task<double> MeasureChannelHopAsync(int rounds, int calls, CancellationToken cancellationToken)
    {
        var requests = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var responses = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var worker = Task.Run(async () =>
        {
            await foreach (var r in requests.Reader.ReadAllAsync(cancellationToken)) await responses.Writer.WriteAsync(r + 1, cancellationToken);
        }, cancellationToken);
        var samples = new List<double>();
        for (int round = 0; round < rounds + 1; round++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < calls; i++)
            {
                await requests.Writer.WriteAsync(i, cancellationToken);
                await responses.Reader.ReadAsync(cancellationToken);
            }
            if (round > 0) samples.Add(sw.Elapsed.TotalNanoseconds / calls);
        }
        requests.Writer.Complete();
        await worker;
        return Median(samples);
    }

    private static async Task<double> MeasureGrainCallAsync(IGrainFactory silo, int rounds, int calls, CancellationToken cancellationToken)
    {
        var grain = silo.GetGrain<IPingGrain>(0);
        await grain.PingAsync(0);
        var samples = new List<double>();
        long items = ThreadPool.CompletedWorkItemCount, bytes = GC.GetTotalAllocatedBytes();
        for (int i = 0; i < calls; i++) await grain.PingAsync(i);
        if (!_reported)
        {
            _reported = true;
            Console.Error.WriteLine($"ping: per call {(ThreadPool.CompletedWorkItemCount - items) / (double)calls:F3} thread-pool items, {(GC.GetTotalAllocatedBytes() - bytes) / (double)calls:F0} bytes allocated");
        }
        for (int round = 0; round < rounds + 1; round++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < calls; i++) await grain.PingAsync(i);
            if (round > 0) samples.Add(sw.Elapsed.TotalNanoseconds / calls);
        }
        return Median(samples);
    }

    private static async Task<double> MeasureParallelAsync(IGrainFactory silo, int grains, TimeSpan duration, CancellationToken cancellationToken)
    {
        var refs = Enumerable.Range(1, grains).Select(i => silo.GetGrain<IPingGrain>(i)).ToArray();
        await Task.WhenAll(refs.Select(r => r.PingAsync(0).AsTask()));
        long total = 0;
        var stop = false;
        async Task Caller(IPingGrain g)
        {
            long n = 0;
            while (!Volatile.Read(ref stop))
            {
                for (int i = 0; i < 64; i++) await g.PingAsync(i);
                n += 64;
                // The "stall" of earlier runs was these loops starving the global queue (GlobalQueue says why).
                await Imv.Bench.Grid.GlobalQueue.YieldAsync();
            }
            Interlocked.Add(ref total, n);
        }
        var sw = Stopwatch.StartNew();
        var callers = refs.Select(r => Task.Run(() => Caller(r), cancellationToken)).ToArray();
        await Task.Delay(duration, cancellationToken);
        Volatile.Write(ref stop, true);
        await Task.WhenAll(callers);
        return total / sw.Elapsed.TotalSeconds;
    }

    private static async Task<double> MeasureActivationBytesAsync(BenchSilo host, int count, CancellationToken cancellationToken)
    {
        var silo = host.Grains;
        int before = await host.ActivationCountAsync();
        long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        const int batch = 5000;
        for (int start = 0; start < count; start += batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var tasks = new Task[batch];
            for (int i = 0; i < batch; i++) tasks[i] = silo.GetGrain<IPingGrain>(1_000_000 + start + i).PingAsync(1).AsTask();
            await Task.WhenAll(tasks);
        }
        long memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
        int created = await host.ActivationCountAsync() - before;
        if (created != count) throw new InvalidOperationException($"Expected {count} activations, found {created}.");
        return (memoryAfter - memoryBefore) / (double)count;
    }

    private static bool _reported;

    private static double Median(List<double> samples)
    {
        samples.Sort();
        return samples[samples.Count / 2];
    }
}
