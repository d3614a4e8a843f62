using System.Diagnostics;
using System.Text.Json;
using Imv.Bench.Grid;
using Imv.Client.Watching;

namespace Imv.Bench.Watch;

/// <summary>The SDK's live subscriptions and the live page on one silo (the main job's composition, in this process)
/// with the simulated plant: 1,000 machines, each updating once a second.
/// <c>watch_p99_ms</c>: from the twin applying a reading (its ingest: the tag's received timestamp) to the change
/// arriving at an SDK subscriber connected through the gateway (stored, published to the observer, delivered in order).
/// <c>page_cpu_percent</c>: the process's extra CPU (% of one core) while a page follows all 1,000 machines (the
/// /api/live stream, read and parsed by an HTTP client in this process), against the same window without it.</summary>
internal static class WatchScenario
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        bool quick = args.Contains("--quick");
        var window = TimeSpan.FromSeconds(quick ? 15 : 60);
        int watched = quick ? 100 : 1000;
        Console.Error.WriteLine("watch: starting a silo with 1,000 simulated machines (1 update/s each)");
        await using var silo = await MainJobSilo.StartAsync("watch", 10, 100, cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);   // the bootstrap and the first ticks
        // The SDK and the page sign in with the administrator key the first start wrote beside the data file.
        var adminKey = await silo.AdminKeyAsync(cancellationToken);
        await using var imv = await silo.ConnectAsync(adminKey, cancellationToken);
        var machines = await imv.Twins.ListAsync(null, cancellationToken);
        if (machines.Count < watched)
        {
            Console.Error.WriteLine($"watch: only {machines.Count} machines found");
            Console.WriteLine(JsonSerializer.Serialize(new { scenario = "watch", missing = "the simulated plant did not come up" }));
            return 1;
        }

        // 1. Latency: SDK subscribers on `watched` twins for one window.
        Console.Error.WriteLine($"watch: {watched} SDK subscriptions for {window.TotalSeconds} s");
        var latencies = new List<double>();
        long gaps = 0;
        var subscriptions = await Task.WhenAll(machines.Take(watched).Select(id => imv.Twins.WatchAsync(id, cancellationToken)));
        using (var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            stop.CancelAfter(window);
            await Task.WhenAll(subscriptions.Select(s => Task.Run(async () =>
            {
                try
                {
                    await foreach (var e in s.ReadAllAsync(stop.Token))
                    {
                        var now = DateTimeOffset.UtcNow;
                        if (e.Kind == WatchEventKind.Gap) Interlocked.Increment(ref gaps);
                        if (e.Change is not { } c || c.Tags.Count == 0) continue;
                        var newest = c.Tags.Max(t => t.ReceivedTimestamp);   // when the twin applied the reading (its ingest)
                        lock (latencies) latencies.Add((now - newest).TotalMilliseconds);
                    }
                }
                catch (OperationCanceledException) { }
            }, CancellationToken.None)));
        }
        await Task.WhenAll(subscriptions.Select(s => s.DisposeAsync().AsTask()));
        latencies.Sort();
        double P(double q) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];

        // 2. The page: CPU of the process without, then with, a page following all 1,000 machines.
        var process = Process.GetCurrentProcess();
        Console.Error.WriteLine($"watch: CPU without a page for {window.TotalSeconds} s");
        double idle = await CpuPercentAsync(process, window, cancellationToken);
        Console.Error.WriteLine($"watch: CPU with a page following every machine for {window.TotalSeconds} s");
        using var client = new HttpClient { BaseAddress = silo.HttpAddress, Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.Add("X-Api-Key", adminKey);
        long events = 0;
        using var pageStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var page = Task.Run(async () =>
        {
            using var response = await client.GetAsync(new Uri("/api/live?org=enterprise", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, pageStop.Token);
            if (!response.IsSuccessStatusCode)
            {
                Console.Error.WriteLine($"watch: the page's stream was refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(pageStop.Token)}");
                return;
            }
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(pageStop.Token));
            while (await reader.ReadLineAsync(pageStop.Token) is { } line)
                if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    using var doc = JsonDocument.Parse(line.AsMemory(6));   // as the page does: parse every event
                    Interlocked.Increment(ref events);
                }
        }, CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);   // the page's 1,000 subscriptions start
        long before = Interlocked.Read(ref events);
        double withPage = await CpuPercentAsync(process, window, cancellationToken);
        double eventsPerSecond = (Interlocked.Read(ref events) - before) / window.TotalSeconds;
        await pageStop.CancelAsync();
        try { await page; } catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException) { }

        var result = new Dictionary<string, object>
        {
            ["scenario"] = "watch",
            ["quick"] = quick,
            ["machines"] = machines.Count,
            ["subscribers"] = watched,
            ["changes_seen"] = latencies.Count,
            ["gaps"] = gaps,
            ["watch_p50_ms"] = Math.Round(P(0.50), 1),
            ["watch_p99_ms"] = Math.Round(P(0.99), 1),
            ["watch_max_ms"] = Math.Round(latencies.Count == 0 ? double.NaN : latencies[^1], 1),
            ["cpu_without_page_percent"] = Math.Round(idle, 1),
            ["cpu_with_page_percent"] = Math.Round(withPage, 1),
            ["page_cpu_percent"] = Math.Round(withPage - idle, 1),
            ["page_events_per_second"] = Math.Round(eventsPerSecond, 0),
        };
        if (eventsPerSecond == 0) result["missing"] = "the page received no events, so page_cpu_percent measures nothing (see stderr)";
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private static async Task<double> CpuPercentAsync(Process process, TimeSpan window, CancellationToken cancellationToken)
    {
        process.Refresh();
        var cpu0 = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        await Task.Delay(window, cancellationToken);
        process.Refresh();
        return (process.TotalProcessorTime - cpu0).TotalMilliseconds / wall.Elapsed.TotalMilliseconds * 100;
    }
}
