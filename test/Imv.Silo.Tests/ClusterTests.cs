using System.Net.Http.Json;
using System.Text.Json;
using Imv.Gateways.Mqtt.Tests;
using Imv.OpcUa.Tests;
using Imv.Persistence.PostgreSql;
using Imv.Silo.Tests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace Imv.Silo.Tests;

/// <summary>Three silo processes clustered on a real PostgreSQL server, driven through the HTTP API of any silo,
/// with the simulated plant (1,000 twins) running on one of them and an MQTT edge (100 twins) publishing QoS 1 readings
/// through mosquitto: kill -9 of the silo running the simulator and the MQTT connection under a stream of commands and
/// readings (<see cref="FailoverScenario"/>); afterwards the survivors hold each connection once, the Sparkplug node was
/// asked to rebirth by the host that took its connection over, and the PLC's twins were read again on the new session.</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class ClusterTests(PostgreSqlFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task Three_silos_on_postgresql_lose_nothing_acknowledged_when_the_simulator_s_silo_is_killed_and_every_twin_answers_again()
    {
        var cs = await postgres.Server.CreateDatabaseAsync("cluster");
        await using (var dataSource = NpgsqlDataSource.Create(cs)) await PostgreSqlSchema.MigrateAsync(dataSource, default);
        // Besides the simulated plant, every silo is configured with one MQTT broker connection (mosquitto) and one OPC UA
        // endpoint (node-opcua): each must be held by exactly one silo at a time, counted by the broker and the server.
        await using var broker = await MosquittoBroker.StartAsync();
        await using var plc = new PlcProcess();
        await plc.StartAsync();
        string[] gateways =
        [
            .. AckedEdge.GatewayArgs(0, "edge", broker.Port),
            "--Gateways:Mqtt:1:Name=spark", $"--Gateways:Mqtt:1:Port={broker.Port}", "--Gateways:Mqtt:1:Mode=SparkplugB", "--Gateways:Mqtt:1:Sparkplug:GroupIds:0=grp",
            "--Gateways:OpcUa:0:Name=plc", "--Gateways:OpcUa:0:EndpointUrl=" + plc.EndpointUrl, "--Gateways:OpcUa:0:Discovery:0:Root=Plant",
        ];
        await using var cluster = await SiloCluster.StartAsync(cs, 3, [.. FailoverScenario.SimulatorArgs, .. gateways], TimeSpan.FromSeconds(180));
        // An MQTT edge of 100 devices publishes QoS 1 readings counting up per device, from before the kill of the silo
        // holding the MQTT connection until after a survivor took it over; the broker acknowledged each value it kept.
        await using var edge = new AckedEdge(broker.Port, 100);
        await edge.ConnectAsync(default);
        // A Sparkplug B edge node (group grp, node node1, device d1) born with SetPoint 50, then publishing DDATA every
        // 500 ms. Its next birth carries SetPoint 77: the twin shows 77 only once the node was asked to rebirth.
        await using var node = new SparkplugEdgeNodeSimulator(broker, "grp", "node1", ["d1"]);
        await node.StartAsync();
        var reader = cluster.Members[^1].Http;
        await TestSilo.EventuallyAsync(async () => await FailoverScenario.ReadTagAsync(reader, "grp.node1.d1", "SetPoint", default) == 50,
            "the Sparkplug device's twin born with SetPoint 50", TimeSpan.FromSeconds(120));
        node.DeviceValues["d1/SetPoint"] = 77;
        int rebirthsBefore = node.Rebirths;
        using var sparkStop = new CancellationTokenSource();
        var sparkData = Task.Run(async () =>
        {
            double temperature = 20;
            while (!sparkStop.IsCancellationRequested)
            {
                try { await node.DeviceDataAsync(0, temperature += 0.1); }
                catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or IOException) { }
                await Task.Delay(500);
            }
        });
        // The node's own twin exists when the node has metrics of its own (Uptime, Mode): listed with the others.
        var sparkTwins = new List<string>();
        foreach (var twin in new[] { "grp.node1", "grp.node1.d1" })
            if (await FailoverScenario.ReadTwinAsync(reader, twin, default) is not null) sparkTwins.Add(twin);
        // The PLC's PartCount counts up 10 times a second: read on the new session, it passes its value read before the run.
        var plcBefore = await ReadTagWithTimestampAsync(reader, "plc.Plant.Machine1", "PartCount");
        // The PLC's and the Sparkplug node's twins live wherever Orleans put them and are listed through every silo with the plant's.
        var result = await FailoverScenario.RunAsync(cluster, output.WriteLine, default, ["plc.Plant.Machine1", "plc.Plant.Machine2", .. sparkTwins], edge);

        Assert.Equal(1000, result.Answered);
        Assert.NotNull(result.GatewayMoved);
        Assert.True(result.AckedCommands > 20, $"only {result.AckedCommands} commands were answered 201");
        Assert.True(result.Lost.Count == 0, "acknowledged commands lost or gone back: " + string.Join("; ", result.Lost.Take(10)));
        Assert.True(result.Backwards.Count == 0, "twins whose state went backwards: " + string.Join("; ", result.Backwards.Take(10)));
        // Every reading the broker acknowledged to the edge is held by its twin afterwards, none went backwards: what the
        // broker had delivered to the killed silo unacknowledged, and what it queued while no silo held the connection,
        // came to the survivor on the resumed session.
        var edgeResult = result.Edge!;
        Assert.True(edgeResult.AckedReadings > 500, $"only {edgeResult.AckedReadings} readings were acknowledged by the broker");
        Assert.NotNull(edgeResult.Moved);
        Assert.True(edgeResult.AckedReadingsLost == 0 && edgeResult.Problems.Count == 0,
            $"{edgeResult.AckedReadingsLost} acknowledged readings lost: " + string.Join("; ", edgeResult.Problems.Take(10)));
        // Listings and filters read the cluster-wide twin status index: right through a silo that does not run the
        // simulator, before and after the kill (the shards of the killed silo come back from PostgreSQL).
        Assert.True(result.ListingProblems.Count == 0, "listings: " + string.Join("; ", result.ListingProblems));
        // Timing: Imv's membership settings declare the silo dead within seconds even on a loaded machine (Orleans'
        // defaults take 15 s or more). How fast every twin answers again depends on the machine: the 5 s target is
        // measured by `bench -- failover` (docs/performance.md); here every twin must answer within the 60 s window
        // (Answered above), on a machine shared with other builds.
        Assert.True(result.DeclaredDead < TimeSpan.FromSeconds(12), $"{result.Victim} was declared dead {result.DeclaredDead.TotalSeconds:F2} s after the kill");
        await AssertOneHolderPerConnectionAsync(cluster, result.Victim, broker, plc);

        // Point 5, resuming: the survivor that took the Sparkplug connection over knew no node; the node's data made it ask
        // for a rebirth (NCMD Node Control/Rebirth), and the twin's metrics came back from the new birth.
        var sparkOwner = cluster.OwnerOf("spark");
        Assert.True(sparkOwner is not null && sparkOwner.Name != result.Victim, $"the Sparkplug connection is on {sparkOwner?.Name ?? "no silo"}");
        await TestSilo.EventuallyAsync(async () => node.Rebirths > rebirthsBefore && await FailoverScenario.ReadTagAsync(reader, "grp.node1.d1", "SetPoint", default) == 77,
            "the Sparkplug node asked to rebirth by the survivor and the twin's SetPoint from the new birth", TimeSpan.FromSeconds(60));
        await sparkStop.CancelAsync();
        await sparkData;
        // The OPC UA endpoint's twins are read again on the survivor's new session: PartCount, which the PLC counted on
        // while no silo held a session, arrives with a source time after the takeover and above its value before the kill.
        var plcOwner = cluster.OwnerOf("plc")!;
        var takenOver = new DateTimeOffset(plcOwner.Owned["plc"], TimeSpan.Zero);
        (double Value, DateTimeOffset At)? plcAfter = null;
        await TestSilo.EventuallyAsync(async () =>
        {
            plcAfter = await ReadTagWithTimestampAsync(reader, "plc.Plant.Machine1", "PartCount");
            return plcAfter is { } a && plcBefore is { } b && a.At > takenOver && a.Value > b.Value;
        }, "the PLC twin's PartCount read again on the new session", TimeSpan.FromSeconds(60));
        output.WriteLine($"Sparkplug: {node.Rebirths - rebirthsBefore} rebirth(s) asked, SetPoint 77 from the new birth, connection on {sparkOwner!.Name}; "
            + $"PLC PartCount {plcBefore?.Value} before the kill, {plcAfter?.Value} read at {plcAfter?.At:O} on {plcOwner.Name} (took over at {takenOver:O})");
        output.WriteLine($"recovery (kill to the last twin answering): {result.Recovery.TotalSeconds:F2} s; a page of 50: p99 {result.ListP99.TotalMilliseconds:F1} ms");
    }

    private static async Task<(double Value, DateTimeOffset At)?> ReadTagWithTimestampAsync(HttpClient http, string twin, string tag)
    {
        try
        {
            var json = await http.GetFromJsonAsync<JsonElement>(new Uri("/api/twins/" + twin, UriKind.Relative));
            foreach (var t in json.GetProperty("tags").EnumerateArray())
                if (t.GetProperty("name").GetString() == tag && t.GetProperty("value").ValueKind == JsonValueKind.Number && t.GetProperty("sourceTimestamp").ValueKind == JsonValueKind.String)
                    return (t.GetProperty("value").GetDouble(), t.GetProperty("sourceTimestamp").GetDateTimeOffset());
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException) { return null; }
    }

    /// <summary>The MQTT connection and the OPC UA endpoint: started by the first silo (the victim), each held by exactly
    /// one silo at every moment of the run (the broker never saw two connections of its client id open, nor took the id
    /// over from a live one; the PLC never had two sessions with an open channel), and held by a survivor after the kill.</summary>
    private async Task AssertOneHolderPerConnectionAsync(SiloCluster cluster, string victimName, MosquittoBroker broker, PlcProcess plc)
    {
        var victim = cluster.Members.Single(m => m.Name == victimName);
        Assert.True(victim.Owned.ContainsKey("edge") && victim.Owned.ContainsKey("plc"),
            $"the first silo did not start the MQTT and OPC UA connections: {string.Join(", ", victim.Owned.Keys)}");
        IReadOnlyList<BrokerSessions.Event> events = [];
        await TestSilo.EventuallyAsync(() =>
        {
            events = BrokerSessions.Read(broker.LogPath);
            var plcNow = plc.Connections;
            return Task.FromResult(cluster.OwnerOf("edge") is not null && cluster.OwnerOf("plc") is not null
                && BrokerSessions.Count(events, "imv-edge").OpenAtEnd == 1 && events.Count(e => e.ClientId == "imv-edge" && e.Opened) >= 2
                && plcNow.Count > 0 && plcNow[^1].Attached == 1 && plcNow.Any(c => c.Attached == 0));
        }, "the MQTT and OPC UA connections held again by a survivor", TimeSpan.FromSeconds(60));
        var (most, open, takenOver) = BrokerSessions.Count(events, "imv-edge");
        var connections = plc.Connections;
        output.WriteLine($"mosquitto: {events.Count(e => e.ClientId == "imv-edge" && e.Opened)} connections of imv-edge, at most {most} open at once, {takenOver} taken over; "
            + $"PLC: at most {connections.Max(c => c.Attached)} attached sessions, {connections.Max(c => c.Sessions)} sessions (a killed client's session lingers until its timeout); "
            + $"now edge on {cluster.OwnerOf("edge")!.Name}, plc on {cluster.OwnerOf("plc")!.Name}");
        Assert.Equal(1, most);
        Assert.Equal(0, takenOver);
        Assert.Equal(1, open);
        Assert.Equal(1, connections.Max(c => c.Attached));
        Assert.Equal(1, connections[^1].Attached);
        Assert.NotEqual(victimName, cluster.OwnerOf("edge")!.Name);
        Assert.NotEqual(victimName, cluster.OwnerOf("plc")!.Name);
    }
}
