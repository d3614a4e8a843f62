using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Imv.Silo.Tests.Support;

/// <summary>Kill -9 of the silo running the simulated plant, in a running <see cref="SiloCluster"/>, under a stream of
/// commands through the survivors' HTTP APIs; measures how long until every twin answers again and checks that no
/// acknowledged command was lost and no twin's stored state went backwards. Shared by the cluster test and
/// <c>bench -- failover</c>.</summary>
public static class FailoverScenario
{
    private static readonly string[] Progress = ["Issued", "Delivered", "Acked", "Applied"];

    /// <summary>What a run measured.</summary>
    /// <param name="Victim">The silo killed.</param>
    /// <param name="DeclaredDead">Kill to the membership table marking it dead.</param>
    /// <param name="Recovery">Kill to the last twin answering again.</param>
    /// <param name="Answered">Twins that answered again.</param>
    /// <param name="GatewayMoved">Kill to the simulator running on a survivor; null when it did not move.</param>
    /// <param name="AckedCommands">Commands answered 201.</param>
    /// <param name="Unanswered">Command requests not answered 201 (failed during the failover).</param>
    /// <param name="Lost">Acknowledged commands missing or gone back in their progress afterwards.</param>
    /// <param name="Backwards">Twins whose stored state (readings applied, last update) went backwards.</param>
    public sealed record Result(string Victim, TimeSpan DeclaredDead, TimeSpan Recovery, int Answered, TimeSpan? GatewayMoved,
        int AckedCommands, int Unanswered, IReadOnlyList<string> Lost, IReadOnlyList<string> Backwards);

    /// <summary>The 1,000 twins of the default simulated plant (2 sites x 10 lines x 50 machines).</summary>
    public static string[] Twins() =>
        [.. from site in Enumerable.Range(1, 2)
            from line in Enumerable.Range(1, 10)
            from machine in Enumerable.Range(1, 50)
            select $"site-{site}.line-{line:00}.machine-{machine:000}"];

    /// <summary>The simulator settings giving those twins (no faults, no control loops: the commands are the load).</summary>
    public static readonly string[] SimulatorArgs =
    [
        "--Simulator:Sites=2", "--Simulator:LinesPerSite=10", "--Simulator:MachinesPerLine=50", "--Simulator:TickInterval=00:00:01",
        "--Simulator:FaultRate=0", "--Simulator:InitiallyRunning=1", "--Plant:ControlLoopShare=0",
    ];

    /// <summary>GET a twin: (readings applied, last update), or null when it does not answer.</summary>
    public static async Task<(long Applied, DateTimeOffset? LastUpdate)?> ReadTwinAsync(HttpClient http, string twin, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri("/api/twins/" + twin, UriKind.Relative), cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) return null;
            var json = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
            DateTimeOffset? last = json.TryGetProperty("lastUpdate", out var l) && l.ValueKind == JsonValueKind.String ? l.GetDateTimeOffset() : null;
            return (json.GetProperty("appliedCount").GetInt64(), last);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException) { return null; }
    }

    /// <summary>Waits for the simulator to feed every twin, starts the command stream, kills the simulator's silo and
    /// measures; <paramref name="log"/> gets progress lines.</summary>
    public static async Task<Result> RunAsync(SiloCluster cluster, Action<string> log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(log);
        var twins = Twins();
        var reader = cluster.Alive.Last().Http;
        var wait = Stopwatch.StartNew();
        while (cluster.OwnerOf("simulator") is null || await ReadTwinAsync(reader, twins[^1], cancellationToken).ConfigureAwait(false) is not { Applied: > 0 })
        {
            if (wait.Elapsed > TimeSpan.FromSeconds(90)) throw new TimeoutException("The simulator did not feed the twins within 90 s.");
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
        var victim = cluster.OwnerOf("simulator")!;
        var survivors = cluster.Alive.Where(m => m != victim).ToArray();
        log($"simulator on {victim.Name}; survivors {string.Join(", ", survivors.Select(s => s.Name))}");

        var acked = new ConcurrentBag<(string CommandId, string Twin, string Status)>();
        int unanswered = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var load = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            while (!stop.IsCancellationRequested)
            {
                var twin = twins[random.Next(twins.Length)];
                var http = survivors[random.Next(survivors.Length)].Http;
                try
                {
                    using var response = await http.PostAsJsonAsync($"/api/twins/{twin}/commands", new { tag = "speedSetpoint", value = 40 + random.Next(50) }, stop.Token).ConfigureAwait(false);
                    if ((int)response.StatusCode == 201)
                    {
                        var record = await response.Content.ReadFromJsonAsync<JsonElement>(stop.Token).ConfigureAwait(false);
                        acked.Add((record.GetProperty("envelope").GetProperty("commandId").GetString()!, twin, record.GetProperty("status").GetString()!));
                    }
                    else Interlocked.Increment(ref unanswered);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { Interlocked.Increment(ref unanswered); }
            }
        }, CancellationToken.None)).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        var before = new ConcurrentDictionary<string, (long Applied, DateTimeOffset? LastUpdate)>();
        await Parallel.ForEachAsync(twins, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (twin, ct) =>
        {
            if (await ReadTwinAsync(survivors[0].Http, twin, ct).ConfigureAwait(false) is { } state) before[twin] = state;
        }).ConfigureAwait(false);
        if (before.Count != twins.Length) throw new InvalidOperationException($"Only {before.Count} of {twins.Length} twins answered before the kill.");

        log($"killing {victim.Name}");
        var killedAt = Stopwatch.StartNew();
        var killedAtUtc = DateTime.UtcNow;
        await cluster.KillAsync(victim).ConfigureAwait(false);
        var declaredDead = cluster.WaitDeadAsync(victim.Name, TimeSpan.FromSeconds(60)).ContinueWith(_ => killedAt.Elapsed, TaskScheduler.Default);
        // 64 pollers take twins from a queue; a twin that does not answer within 1 s goes back to its end.
        var answeredAfter = new ConcurrentDictionary<string, TimeSpan>();
        var deadline = TimeSpan.FromSeconds(60);
        var queue = new ConcurrentQueue<string>(twins);
        await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            while (killedAt.Elapsed < deadline && queue.TryDequeue(out var twin))
            {
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                if (await ReadTwinAsync(survivors[Random.Shared.Next(survivors.Length)].Http, twin, attempt.Token).ConfigureAwait(false) is not null)
                    answeredAfter.TryAdd(twin, killedAt.Elapsed);
                else
                    queue.Enqueue(twin);
            }
        }, CancellationToken.None))).ConfigureAwait(false);
        var recovery = answeredAfter.IsEmpty ? deadline : answeredAfter.Values.Max();
        var dead = await declaredDead.ConfigureAwait(false);
        log($"{victim.Name} declared dead {dead.TotalSeconds:F2} s after the kill; every twin answered {recovery.TotalSeconds:F2} s after it ({answeredAfter.Count}/{twins.Length})");

        var moveWait = Stopwatch.StartNew();
        while (cluster.OwnerOf("simulator") is null && moveWait.Elapsed < TimeSpan.FromSeconds(30))
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        TimeSpan? moved = cluster.OwnerOf("simulator") is { } owner ? owner.Owned["simulator"] - killedAtUtc : null;
        log($"simulator moved to {cluster.OwnerOf("simulator")?.Name ?? "(none)"} {moved?.TotalSeconds:F2} s after the kill");
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(load).ConfigureAwait(false);

        var lost = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(acked, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (c, ct) =>
        {
            using var response = await survivors[0].Http.GetAsync(new Uri("/api/commands/" + c.CommandId, UriKind.Relative), ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) { lost.Add($"{c.CommandId} on {c.Twin}: HTTP {(int)response.StatusCode}"); return; }
            var status = (await response.Content.ReadFromJsonAsync<JsonElement>(ct).ConfigureAwait(false)).GetProperty("status").GetString()!;
            int was = Array.IndexOf(Progress, c.Status), now = Array.IndexOf(Progress, status);
            // Terminal outcomes (Rejected, Expired) stay; progress never goes back.
            if ((was >= 0 && now >= 0 && now < was) || (was < 0 && status != c.Status)) lost.Add($"{c.CommandId} on {c.Twin}: {c.Status} -> {status}");
        }).ConfigureAwait(false);
        var backwards = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(twins, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (twin, ct) =>
        {
            var now = await ReadTwinAsync(survivors[^1].Http, twin, ct).ConfigureAwait(false);
            var was = before[twin];
            if (now is null) backwards.Add(twin + ": no answer");
            else if (now.Value.Applied < was.Applied || now.Value.LastUpdate < was.LastUpdate)
                backwards.Add($"{twin}: readings applied {was.Applied} -> {now.Value.Applied}, last update {was.LastUpdate:O} -> {now.Value.LastUpdate:O}");
        }).ConfigureAwait(false);
        log($"{acked.Count} commands answered 201 ({unanswered} not), {lost.Count} lost, {backwards.Count} twins backwards");
        return new Result(victim.Name, dead, recovery, answeredAfter.Count, moved, acked.Count, unanswered, [.. lost], [.. backwards]);
    }
}
