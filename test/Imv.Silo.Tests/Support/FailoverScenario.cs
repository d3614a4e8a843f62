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
    /// <param name="ListingProblems">What the listings (<c>/api/twins</c> with filters, <c>/api/alarms</c>, the summary) got
    /// wrong through a silo not running the simulator, before and after the kill (<see cref="CheckListingsAsync"/>).</param>
    /// <param name="ListP99">The 99th percentile of a page of 50 through a survivor's API after the failover.</param>
    /// <param name="Edge">What the MQTT edge saw, when one fed the cluster.</param>
    public sealed record Result(string Victim, TimeSpan DeclaredDead, TimeSpan Recovery, int Answered, TimeSpan? GatewayMoved,
        int AckedCommands, int Unanswered, IReadOnlyList<string> Lost, IReadOnlyList<string> Backwards,
        IReadOnlyList<string> ListingProblems, TimeSpan ListP99, EdgeResult? Edge);

    /// <summary>The readings of an <see cref="AckedEdge"/> published through the kill (see <see cref="CheckEdgeAsync"/>).</summary>
    /// <param name="AckedReadings">Publications the broker acknowledged.</param>
    /// <param name="AckedReadingsLost">Acknowledged values the twins do not hold afterwards (above their stored value).</param>
    /// <param name="Problems">Twins whose value went backwards, did not answer, or stayed below an acknowledged value.</param>
    /// <param name="CaughtUp">From the end of publishing to every twin holding its highest acknowledged value; null when some never did.</param>
    /// <param name="Moved">Kill to the MQTT connection running on a survivor; null when it did not move (it was not on the killed silo).</param>
    public sealed record EdgeResult(long AckedReadings, long AckedReadingsLost, IReadOnlyList<string> Problems, TimeSpan? CaughtUp, TimeSpan? Moved);

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

    /// <summary>GET a twin's tag value as a number, or null when the twin does not answer or has no such value.</summary>
    public static async Task<double?> ReadTagAsync(HttpClient http, string twin, string tag, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri("/api/twins/" + twin, UriKind.Relative), cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) return null;
            var json = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
            foreach (var t in json.GetProperty("tags").EnumerateArray())
                if (t.GetProperty("name").GetString() == tag && t.GetProperty("value").ValueKind == JsonValueKind.Number) return t.GetProperty("value").GetDouble();
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException) { return null; }
    }

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
    /// measures; <paramref name="log"/> gets progress lines. <paramref name="otherTwins"/>: twins of other gateways the
    /// cluster runs, which the listings of every twin must show too. <paramref name="edge"/>: an MQTT edge (connected,
    /// its gateway connection <paramref name="edgeGateway"/> configured on every silo) that publishes from before the
    /// kill until a few seconds after it; every value the broker acknowledged must then be held by its twin.</summary>
    public static async Task<Result> RunAsync(SiloCluster cluster, Action<string> log, CancellationToken cancellationToken, IReadOnlyList<string>? otherTwins = null,
        AckedEdge? edge = null, string edgeGateway = "edge")
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(log);
        var twins = Twins();
        var reader = cluster.Alive.Last().Http;
        using var edgeStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var edgeRun = edge?.RunAsync(TimeSpan.FromSeconds(1), edgeStop.Token) ?? Task.CompletedTask;
        var wait = Stopwatch.StartNew();
        while (cluster.OwnerOf("simulator") is null || await ReadTwinAsync(reader, twins[^1], cancellationToken).ConfigureAwait(false) is not { Applied: > 0 }
            || (edge is not null && await ReadTagAsync(reader, edge.Twins[^1], AckedEdge.Tag, cancellationToken).ConfigureAwait(false) is null))
        {
            // A JSON gateway describes each new device's twin before its first reading (one after the other, each a few
            // writes to PostgreSQL): the edge's twins take longer to appear than the simulator's.
            if (wait.Elapsed > TimeSpan.FromSeconds(edge is null ? 90 : 240))
                throw new TimeoutException($"The simulator or the MQTT edge did not feed the twins within {wait.Elapsed.TotalSeconds:F0} s: simulator on " + (cluster.OwnerOf("simulator")?.Name ?? "(none)")
                    + $", {twins[^1]}: {await ReadTwinAsync(reader, twins[^1], cancellationToken).ConfigureAwait(false)}"
                    + (edge is null ? "" : $"; {edgeGateway} on {cluster.OwnerOf(edgeGateway)?.Name ?? "(none)"}, edge published {edge.Published}, acknowledged {edge.Acknowledged}, failed {edge.Failed}, "
                        + $"{edge.Twins[^1]}: {await ReadTagAsync(reader, edge.Twins[^1], AckedEdge.Tag, cancellationToken).ConfigureAwait(false)}")
                    + "\n" + string.Join("\n", cluster.Members.Select(m => m.Name + ":\n" + string.Join("\n", m.Output.Split('\n').TakeLast(30)))));
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
        otherTwins = [.. otherTwins ?? [], .. edge?.Twins ?? []];
        var victim = cluster.OwnerOf("simulator")!;
        var survivors = cluster.Alive.Where(m => m != victim).ToArray();
        log($"simulator on {victim.Name}; survivors {string.Join(", ", survivors.Select(s => s.Name))}");
        // The twins are fed on the victim's silo and live anywhere: every listing through another silo shows them all.
        var listingProblems = (await CheckListingsAsync(survivors[0].Http, twins, otherTwins, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false))
            .Select(p => $"before the kill, through {survivors[0].Name}: {p}").ToList();
        log($"listings through {survivors[0].Name}: {(listingProblems.Count == 0 ? "right" : string.Join("; ", listingProblems))}");

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
        var edgeBefore = edge is null ? null : await ReadEdgeAsync(edge, survivors[0].Http, cancellationToken).ConfigureAwait(false);

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
        EdgeResult? edgeResult = null;
        if (edge is not null)
        {
            // The edge published through the kill, while no silo held its connection, and since the takeover.
            TimeSpan? edgeMoved = cluster.OwnerOf(edgeGateway) is { } edgeOwner && edgeOwner.Owned[edgeGateway] > killedAtUtc ? edgeOwner.Owned[edgeGateway] - killedAtUtc : null;
            await edgeStop.CancelAsync().ConfigureAwait(false);
            await edgeRun.ConfigureAwait(false);
            edgeResult = await CheckEdgeAsync(edge, edgeBefore!, survivors[^1].Http, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false) with { Moved = edgeMoved };
            log($"MQTT edge: {edge.Published} readings published, {edgeResult.AckedReadings} acknowledged by the broker, {edge.Failed} not; "
                + $"{edgeResult.AckedReadingsLost} acknowledged readings lost; connection moved {edgeMoved?.TotalSeconds:F2} s after the kill; "
                + $"every twin held its highest acknowledged value {edgeResult.CaughtUp?.TotalSeconds:F2} s after the last publication"
                + (edgeResult.Problems.Count == 0 ? "" : "; " + string.Join("; ", edgeResult.Problems.Take(10))));
        }

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
        // The index shards that lived on the victim come back from storage on the survivors.
        var after = await CheckListingsAsync(survivors[^1].Http, twins, otherTwins, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        listingProblems.AddRange(after.Select(p => $"after the kill, through {survivors[^1].Name}: {p}"));
        var p99 = await MeasureListingAsync(survivors[0].Http, 300, cancellationToken).ConfigureAwait(false);
        log($"listings after the kill: {(after.Count == 0 ? "right" : string.Join("; ", after))}; a page of 50: p99 {p99.TotalMilliseconds:F1} ms");
        return new Result(victim.Name, dead, recovery, answeredAfter.Count, moved, acked.Count, unanswered, [.. lost], [.. backwards], listingProblems, p99, edgeResult);
    }

    /// <summary>Kill -9 of a silo that holds twins of <paramref name="edge"/> but not its gateway connection
    /// (<paramref name="edgeGateway"/>), while the edge publishes: the gateway's ingest calls to the twins on that silo fail
    /// until the cluster declares it dead and activates them elsewhere, and the readings must not be acknowledged before
    /// they are stored there. Needs two silos alive. Returns the silo killed and what the edge saw.</summary>
    public static async Task<(string Victim, EdgeResult Edge)> KillTwinSiloAsync(SiloCluster cluster, AckedEdge edge, Action<string> log, CancellationToken cancellationToken,
        string edgeGateway = "edge")
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(edge);
        ArgumentNullException.ThrowIfNull(log);
        var holder = cluster.OwnerOf(edgeGateway) ?? throw new InvalidOperationException($"No silo holds {edgeGateway}.");
        var victim = cluster.Alive.First(m => m != holder);
        using var edgeStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var edgeRun = edge.RunAsync(TimeSpan.FromSeconds(1), edgeStop.Token);
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false);
        var before = await ReadEdgeAsync(edge, holder.Http, cancellationToken).ConfigureAwait(false);
        log($"killing {victim.Name} (twins only; {edgeGateway} stays on {holder.Name})");
        var killedAt = Stopwatch.StartNew();
        await cluster.KillAsync(victim).ConfigureAwait(false);
        await cluster.WaitDeadAsync(victim.Name, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        log($"{victim.Name} declared dead {killedAt.Elapsed.TotalSeconds:F2} s after the kill");
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false);
        await edgeStop.CancelAsync().ConfigureAwait(false);
        await edgeRun.ConfigureAwait(false);
        var result = await CheckEdgeAsync(edge, before, holder.Http, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        log($"MQTT edge: {result.AckedReadings} readings acknowledged by the broker so far, {result.AckedReadingsLost} lost; every twin held its highest acknowledged value "
            + $"{result.CaughtUp?.TotalSeconds:F2} s after the last publication" + (result.Problems.Count == 0 ? "" : "; " + string.Join("; ", result.Problems.Take(10))));
        return (victim.Name, result);
    }

    /// <summary>Every edge twin's counter (NaN when it did not answer or has none), read through <paramref name="http"/>.</summary>
    public static async Task<IReadOnlyDictionary<string, double>> ReadEdgeAsync(AckedEdge edge, HttpClient http, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(edge);
        var values = new ConcurrentDictionary<string, double>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(edge.Twins, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (twin, ct) =>
            values[twin] = await ReadTagAsync(http, twin, AckedEdge.Tag, ct).ConfigureAwait(false) ?? double.NaN).ConfigureAwait(false);
        return values;
    }

    /// <summary>After the edge stopped publishing: waits (at most <paramref name="wait"/>) until every twin holds its highest
    /// acknowledged value, then counts the acknowledged values no twin holds (its value only goes up: those above it) and
    /// the twins whose value went below what they held before the kill (<paramref name="before"/>).</summary>
    public static async Task<EdgeResult> CheckEdgeAsync(AckedEdge edge, IReadOnlyDictionary<string, double> before, HttpClient http, TimeSpan wait, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(edge);
        ArgumentNullException.ThrowIfNull(before);
        var highest = edge.HighestAcknowledged();
        var clock = Stopwatch.StartNew();
        IReadOnlyDictionary<string, double> now;
        while (true)
        {
            now = await ReadEdgeAsync(edge, http, cancellationToken).ConfigureAwait(false);
            if (highest.All(h => now[h.Key] >= h.Value) || clock.Elapsed > wait) break;
            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        }
        TimeSpan? caughtUp = highest.All(h => now[h.Key] >= h.Value) ? clock.Elapsed : null;
        long lost = 0;
        var problems = new List<string>();
        foreach (var (twin, top) in highest.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            var value = now[twin];
            if (double.IsNaN(value)) { problems.Add($"{twin}: no answer"); lost += edge.AcknowledgedAbove(twin, double.NegativeInfinity); continue; }
            if (value < top)
            {
                int missing = edge.AcknowledgedAbove(twin, value);
                lost += missing;
                problems.Add($"{twin}: holds {value}, {missing} acknowledged values above it up to {top}");
            }
            if (before.TryGetValue(twin, out var was) && value < was) problems.Add($"{twin}: went back from {was} to {value}");
        }
        return new EdgeResult(edge.Acknowledged, lost, problems, caughtUp, null);
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, string path, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative), cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"GET {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static string[] IdsOf(JsonElement page) => [.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("twinId").GetString()!)];

    /// <summary>The listings of the plant through one silo: every twin in id order over two pages, a line's 50 twins, a
    /// site's twins by state (adding up to the site, some Running), alarm filters adding up, the alarms' total equal to the twins' alarm counts, and the
    /// summary's twins known. <paramref name="twins"/>: the plant's; <paramref name="otherTwins"/>: other gateways', listed
    /// with them. Waits (at most <paramref name="wait"/>) for them all to hold; returns what still did not.</summary>
    public static async Task<IReadOnlyList<string>> CheckListingsAsync(HttpClient http, string[] twins, IReadOnlyList<string> otherTwins, TimeSpan wait,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(twins);
        ArgumentNullException.ThrowIfNull(otherTwins);
        var everyTwin = twins.Concat(otherTwins).Order(StringComparer.Ordinal).ToArray();
        var sorted = twins.Order(StringComparer.Ordinal).ToArray();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var problems = new List<string>();
            try
            {
                var first = await GetJsonAsync(http, "/api/twins?pageSize=500", cancellationToken).ConfigureAwait(false);
                var second = await GetJsonAsync(http, "/api/twins?page=2&pageSize=500", cancellationToken).ConfigureAwait(false);
                var ids = IdsOf(first).Concat(IdsOf(second)).ToArray();
                if (first.GetProperty("total").GetInt32() != everyTwin.Length || !ids.SequenceEqual(everyTwin.Take(1000)))
                    problems.Add($"/api/twins: total {first.GetProperty("total").GetInt32()}, {ids.Length} ids over two pages (expected the first 1,000 of the {everyTwin.Length} twins in id order)");
                var line = IdsOf(await GetJsonAsync(http, "/api/twins?organization=site-2.line-07&pageSize=100", cancellationToken).ConfigureAwait(false));
                var lineExpected = sorted.Where(t => t.StartsWith("site-2.line-07.", StringComparison.Ordinal)).ToArray();
                if (!line.SequenceEqual(lineExpected)) problems.Add($"organization=site-2.line-07: {line.Length} twins, expected {lineExpected.Length}");
                var site = sorted.Count(t => t.StartsWith("site-1.", StringComparison.Ordinal));
                // Every machine is in one state: the state filter's totals add up to the site, and a page holds only its state.
                int inStates = 0;
                foreach (var state in new[] { "Running", "Idle", "Faulted", "Offline", "Unknown" })
                {
                    var page = await GetJsonAsync(http, $"/api/twins?organization=site-1&state={state}&pageSize=20", cancellationToken).ConfigureAwait(false);
                    inStates += page.GetProperty("total").GetInt32();
                    if (page.GetProperty("items").EnumerateArray().Any(i => i.GetProperty("state").GetString() != state || !i.GetProperty("twinId").GetString()!.StartsWith("site-1.", StringComparison.Ordinal)))
                        problems.Add($"organization=site-1&state={state} lists a twin of another state or site");
                    if (state == "Running" && page.GetProperty("total").GetInt32() == 0) problems.Add("organization=site-1&state=Running: none (the plant runs its machines)");
                }
                if (inStates != site) problems.Add($"organization=site-1 by state: {inStates} twins, expected {site}");
                var active = await GetJsonAsync(http, "/api/twins?alarm=active&pageSize=500", cancellationToken).ConfigureAwait(false);
                var none = (await GetJsonAsync(http, "/api/twins?alarm=none&pageSize=1", cancellationToken).ConfigureAwait(false)).GetProperty("total").GetInt32();
                int activeTotal = active.GetProperty("total").GetInt32();
                if (activeTotal + none != everyTwin.Length) problems.Add($"alarm=active ({activeTotal}) + alarm=none ({none}) != {everyTwin.Length}");
                var alarmCount = active.GetProperty("items").EnumerateArray().Sum(i => i.GetProperty("activeAlarms").GetInt32());
                var alarms = (await GetJsonAsync(http, "/api/alarms?pageSize=1", cancellationToken).ConfigureAwait(false)).GetProperty("total").GetInt32();
                if (activeTotal <= 500 && alarms != alarmCount) problems.Add($"/api/alarms total {alarms}, the alarmed twins count {alarmCount}");
                var known = (await GetJsonAsync(http, "/api/summary", cancellationToken).ConfigureAwait(false)).GetProperty("twinsKnown").GetInt32();
                if (known != everyTwin.Length) problems.Add($"/api/summary twinsKnown {known}, expected {everyTwin.Length}");
                // Each page holding one of the other twins, once.
                foreach (var page in otherTwins.GroupBy(o => 1 + (Array.IndexOf(everyTwin, o) / 500)))
                {
                    var listed = IdsOf(await GetJsonAsync(http, "/api/twins?pageSize=500&page=" + page.Key, cancellationToken).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
                    problems.AddRange(page.Where(o => !listed.Contains(o)).Take(5).Select(o => $"{o} is not listed"));
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
            {
                problems.Add(e.Message.Split('\n')[0]);
            }
            if (problems.Count == 0 || clock.Elapsed > wait) return problems;
            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Serves <paramref name="requests"/> pages of 50 one after the other (all twins; Running twins on page 5; a
    /// site's twins without alarm) and returns the 99th percentile of their durations.</summary>
    public static async Task<TimeSpan> MeasureListingAsync(HttpClient http, int requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        string[] paths = ["/api/twins?pageSize=50", "/api/twins?state=Running&page=5&pageSize=50", "/api/twins?organization=site-1&alarm=none&pageSize=50"];
        var durations = new List<TimeSpan>(requests);
        for (int i = 0; i < requests; i++)
        {
            var sw = Stopwatch.StartNew();
            using var response = await http.GetAsync(new Uri(paths[i % paths.Length], UriKind.Relative), cancellationToken).ConfigureAwait(false);
            await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            durations.Add(sw.Elapsed);
        }
        durations.Sort();
        return durations[Math.Min(durations.Count - 1, (int)Math.Ceiling(durations.Count * 0.99) - 1)];
    }
}
