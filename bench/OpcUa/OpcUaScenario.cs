using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Imv.Gateways.OpcUa.Client;
using Imv.Gateways.OpcUa.Encoding;
using Imv.Gateways.OpcUa.Gateway;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Bench.OpcUa;

/// <summary>The OPC UA benchmark: starts the node-opcua PLC with N bulk variables changing every few
/// ms, subscribes to all of them through the gateway and counts tag updates (notifications_per_s),
/// then lets node-opcua-client do the same subscription alone (peer_notifications_per_s), and measures
/// the round trip of write commands (write_rtt_p99_ms). The PLC's own change rate is reported too
/// (server_changes_per_s): no client can receive more than the server produces.</summary>
public static class OpcUaScenario
{
    /// <summary>Runs the scenario; the last stdout line is the JSON result.</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(args);
        var quick = args.Contains("--quick");
        var count = 1000;
        var intervalMs = 10;
        var seconds = quick ? 5 : 20;
        var writes = quick ? 500 : 2000;
        var at = Array.IndexOf(args, "--writes"); // more write round trips than the default, for a steadier tail
        if (at >= 0 && at + 1 < args.Length) writes = Math.Max(writes, int.Parse(args[at + 1], CultureInfo.InvariantCulture));
        var port = FreePort();
        Console.Error.WriteLine($"opcua: PLC with {count} variables changing every {intervalMs} ms on port {port}");
        await using var plc = NodeProcess.Start("plc.mjs", ["--port", port.ToString(CultureInfo.InvariantCulture), "--bulk", count.ToString(CultureInfo.InvariantCulture),
            "--bulk-interval", intervalMs.ToString(CultureInfo.InvariantCulture), "--many", "10", "--stalls", "1"], "PLC READY");
        await plc.WaitForMarkerAsync(TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
        var url = $"opc.tcp://127.0.0.1:{port}/UA/PLC";

        var sink = new CountingSink();
        var options = new OpcUaEndpointOptions
        {
            Name = "bench",
            EndpointUrl = url,
            SamplingIntervalMs = 0,
            PublishingIntervalMs = 100,
            QueueSize = 20,
            PublishRequests = 3,
        };
        // --security Sign|SignAndEncrypt: the gateway's channel runs Basic256Sha256 (the peer stays on None).
        var security = Array.IndexOf(args, "--security");
        var securityMode = security >= 0 && security + 1 < args.Length ? args[security + 1] : "None";
        var pki = Path.Combine(Path.GetTempPath(), "imv-bench-pki-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        if (securityMode != "None")
        {
            options.SecurityMode = securityMode;
            options.SecurityPolicy = "Basic256Sha256";
            options.PkiPath = pki;
            options.AutoAcceptUntrustedServerCertificate = true;
        }
        var max = Array.IndexOf(args, "--max-notifications"); // the gateway's default unless given
        if (max >= 0 && max + 1 < args.Length) options.MaxNotificationsPerPublish = int.Parse(args[max + 1], CultureInfo.InvariantCulture);
        options.Discovery.Add(new OpcUaDiscoveryOptions { Root = "Bulk", TwinIdTemplate = "{endpoint}.{name}" });
        options.Nodes.Add(new OpcUaNodeMapping { NodeId = "ns=1;s=Types.Double", TwinId = "bench.Types", Tag = "Double" });
        var connection = new OpcUaEndpointConnection(options, sink, NullLogger.Instance);
        double ours;
        double serverRate;
        double sampling;
        double ceiling;
        double ourCpuUs;
        await using (connection.ConfigureAwait(false))
        {
            await connection.StartAsync(ct).ConfigureAwait(false);
            await connection.WaitUntilOnlineAsync(ct).WaitAsync(TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false); // warm-up: initial values, JIT
            var tick0 = await ReadTickAsync(connection.Client, ct).ConfigureAwait(false);
            var start = sink.Updates;
            using var self = Process.GetCurrentProcess();
            var cpu0 = self.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(seconds), ct).ConfigureAwait(false);
            var received = sink.Updates - start;
            var elapsed = clock.Elapsed.TotalSeconds;
            self.Refresh();
            ourCpuUs = (self.TotalProcessorTime - cpu0).TotalMilliseconds * 1000 / Math.Max(1, received);
            var tick1 = await ReadTickAsync(connection.Client, ct).ConfigureAwait(false);
            ours = received / elapsed;
            serverRate = (tick1 - tick0) * (double)count / elapsed;
            Console.Error.WriteLine($"opcua: gateway {ours:F0} notifications/s; the PLC produced {serverRate:F0} changes/s");

            sampling = connection.RevisedSamplingIntervalMs;
            ceiling = sampling > 0 ? count * 1000.0 / Math.Max(sampling, intervalMs) : serverRate;
            Console.Error.WriteLine($"opcua: the server samples every {sampling} ms: it can send at most {ceiling:F0} notifications/s for {count} items");

            var loaded = await MeasureWritesAsync(connection, writes, ct).ConfigureAwait(false);
            Console.Error.WriteLine($"opcua: write command under load p50 {loaded.P50:F2} ms, p99 {loaded.P99:F2} ms over {writes} writes; {loaded.Tail()}");
            // The same writes with the bulk changes paused: the round trip without the PLC's event loop busy.
            await connection.Client.WriteValueAsync(new NodeId("Bulk.Enabled", 1), Variant.From(false), ct).ConfigureAwait(false);
            var settled = await WaitForPlcToSettleAsync(connection.Client, ct).ConfigureAwait(false);
            Console.Error.WriteLine($"opcua: the PLC settled after the flood in {settled.TotalSeconds:F1} s (no event-loop stall of 5 ms or more for 1 s)");
            var rtt = await MeasureWritesAsync(connection, writes, ct).ConfigureAwait(false);
            Console.Error.WriteLine($"opcua: write command quiet p50 {rtt.P50:F2} ms, p99 {rtt.P99:F2} ms over {writes} writes; {rtt.Tail()}");
            await connection.Client.WriteValueAsync(new NodeId("Bulk.Enabled", 1), Variant.From(true), ct).ConfigureAwait(false);
            await connection.StopAsync(ct).ConfigureAwait(false);

            Console.Error.WriteLine("opcua: node-opcua-client peer, same subscription");
            var tickPeer0 = await ReadTickDirectAsync(url, ct).ConfigureAwait(false);
            await using var peer = NodeProcess.Start("peer.mjs", ["--url", url, "--count", count.ToString(CultureInfo.InvariantCulture),
                "--seconds", seconds.ToString(CultureInfo.InvariantCulture), "--sampling", "0", "--publishing", "100", "--queue", "20",
                "--writes", writes.ToString(CultureInfo.InvariantCulture),
                "--max-notifications", options.MaxNotificationsPerPublish.ToString(CultureInfo.InvariantCulture)], null);
            var peerLine = await peer.WaitForExitAsync(TimeSpan.FromSeconds(seconds + 60), ct).ConfigureAwait(false);
            var tickPeer1 = await ReadTickDirectAsync(url, ct).ConfigureAwait(false);
            using var peerJson = JsonDocument.Parse(peerLine);
            var peerRate = peerJson.RootElement.GetProperty("notifications_per_s").GetDouble();
            var peerSeconds = peerJson.RootElement.GetProperty("seconds").GetDouble();
            var peerCpuUs = peerJson.RootElement.GetProperty("cpu_us_per_notification") is { ValueKind: JsonValueKind.Number } u ? u.GetDouble() : double.NaN;
            var peerWrite = (string name) => peerJson.RootElement.GetProperty(name) is { ValueKind: JsonValueKind.Number } v ? v.GetDouble() : double.NaN;
            var peerLoadedP99 = peerWrite("write_rtt_loaded_p99_ms");
            var peerP50 = peerWrite("write_rtt_p50_ms");
            var peerP99 = peerWrite("write_rtt_p99_ms");
            Console.Error.WriteLine($"opcua: peer write under load p50 {peerWrite("write_rtt_loaded_p50_ms"):F2} ms, p99 {peerLoadedP99:F2} ms; quiet p50 {peerP50:F2} ms, p99 {peerP99:F2} ms over {writes} writes");
            Console.Error.WriteLine($"opcua: CPU per notification: gateway {ourCpuUs:F2} us, peer {peerCpuUs:F2} us");
            Console.Error.WriteLine($"opcua: peer {peerRate:F0} notifications/s (PLC ticks during the peer run: {tickPeer1 - tickPeer0}, peer window {peerSeconds:F1} s)");

            var result = new Dictionary<string, object>
            {
                ["scenario"] = "opcua",
                ["quick"] = quick,
                ["security_mode"] = securityMode,
                ["monitored_items"] = count,
                ["plc_change_interval_ms"] = intervalMs,
                ["seconds"] = seconds,
                ["notifications_per_s"] = Math.Round(ours),
                ["peer_notifications_per_s"] = Math.Round(peerRate),
                ["server_changes_per_s"] = Math.Round(serverRate),
                ["ratio_to_peer"] = Math.Round(ours / Math.Max(1, peerRate), 2),
                ["server_sampling_interval_ms"] = sampling,
                ["max_notifications_per_publish"] = options.MaxNotificationsPerPublish,
                ["server_ceiling_notifications_per_s"] = Math.Round(ceiling),
                ["ratio_to_ceiling"] = Math.Round(ours / Math.Max(1, ceiling), 2),
                ["cpu_us_per_notification"] = Math.Round(ourCpuUs, 2),
                ["peer_cpu_us_per_notification"] = Math.Round(peerCpuUs, 2),
                ["writes"] = writes,
                ["write_rtt_loaded_p50_ms"] = Math.Round(loaded.P50, 3),
                ["write_rtt_loaded_p99_ms"] = Math.Round(loaded.P99, 3),
                ["peer_write_rtt_loaded_p99_ms"] = Math.Round(peerLoadedP99, 3),
                ["write_rtt_p50_ms"] = Math.Round(rtt.P50, 3),
                ["write_rtt_p99_ms"] = Math.Round(rtt.P99, 3),
                ["peer_write_rtt_p50_ms"] = Math.Round(peerP50, 3),
                ["peer_write_rtt_p99_ms"] = Math.Round(peerP99, 3),
                ["writes_over_5ms"] = rtt.Slow,
                ["writes_over_5ms_in_plc_stall"] = rtt.SlowInPlcStall,
                ["writes_over_5ms_in_our_gc"] = rtt.SlowInOurGc,
                ["loaded_writes_over_5ms"] = loaded.Slow,
                ["loaded_writes_over_5ms_in_plc_stall"] = loaded.SlowInPlcStall,
                ["loaded_writes_over_5ms_in_our_gc"] = loaded.SlowInOurGc,
            };
            Console.WriteLine(JsonSerializer.Serialize(result));
        }
        if (Directory.Exists(pki)) Directory.Delete(pki, recursive: true);
        return 0;
    }

    private static async Task<long> ReadTickAsync(UaClient client, CancellationToken ct)
    {
        var value = await client.ReadValueAsync(new NodeId("Bulk.Tick", 1), ct).ConfigureAwait(false);
        return value.Value.TryGetDouble(out var d) ? (long)d : 0;
    }

    private static async Task<long> ReadTickDirectAsync(string url, CancellationToken ct)
    {
        await using var client = new UaClient(new UaClientOptions { EndpointUrl = url });
        await client.ConnectAsync(ct).ConfigureAwait(false);
        return await ReadTickAsync(client, ct).ConfigureAwait(false);
    }

    /// <summary>Round trips of sequential write commands (the first 50 warm up and are not counted),
    /// with what else happened in this process during each: the GC pause time that overlapped it.</summary>
    private static async Task<WriteRun> MeasureWritesAsync(OpcUaEndpointConnection connection, int writes, CancellationToken ct)
    {
        var rtt = new double[writes];
        var gcPauseMs = new double[writes];
        var startUnixMs = new double[writes];
        for (var i = -50; i < writes; i++)
        {
            var command = new DeviceCommand("w" + i.ToString(CultureInfo.InvariantCulture), "bench.Types", "Double", null,
                TagValue.FromDouble(1000 + i), [], DateTimeOffset.UtcNow.AddMinutes(1));
            var pause0 = GC.GetTotalPauseDuration();
            var wallClock = (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;
            var started = Stopwatch.GetTimestamp();
            var delivery = await connection.SendAsync(command, ct).ConfigureAwait(false);
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (delivery.Status == CommandDeliveryStatus.Rejected) throw new InvalidOperationException("Write rejected: " + delivery.Reason);
            if (i < 0) continue; // the first 50 warm up
            rtt[i] = ms;
            startUnixMs[i] = wallClock;
            gcPauseMs[i] = (GC.GetTotalPauseDuration() - pause0).TotalMilliseconds;
        }
        // The PLC's event loop stalls (its --stalls diagnostics), to tell which slow writes it caused.
        var stalls = await ReadStallsAsync(connection.Client, ct).ConfigureAwait(false);
        return new WriteRun(rtt, gcPauseMs, startUnixMs, stalls);
    }

    /// <summary>Quiet means the PLC has settled after the flood: no event-loop stall of 5 ms or more in the last
    /// second (V8 collects the garbage the flood left for a while after it stops); waits at most 20 s. The peer
    /// (peer.mjs) waits the same way.</summary>
    private static async Task<TimeSpan> WaitForPlcToSettleAsync(UaClient client, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await Task.Delay(500, ct).ConfigureAwait(false);
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            var stalls = await ReadStallsAsync(client, ct).ConfigureAwait(false);
            double lastEnd = stalls.Where(s => s.Ms >= 5).Select(s => s.Start + s.Ms).DefaultIfEmpty(0).Max();
            if (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - lastEnd >= 1000) break;
            await Task.Delay(200, ct).ConfigureAwait(false);
        }
        return clock.Elapsed;
    }

    private static async Task<(double Start, double Ms, double GcMs)[]> ReadStallsAsync(UaClient client, CancellationToken ct)
    {
        var value = await client.ReadValueAsync(new NodeId("Diagnostics.Stalls", 1), ct).ConfigureAwait(false);
        if (value.Value.Value is not string json) return [];
        using var doc = JsonDocument.Parse(json);
        return [.. doc.RootElement.EnumerateArray().Select(e => (e[0].GetDouble(), e[1].GetDouble(), e[2].GetDouble()))];
    }

    /// <summary>The round trips of one write measurement, and the GC pause time inside each.</summary>
    private sealed record WriteRun(double[] Rtt, double[] GcPauseMs, double[] StartUnixMs, (double Start, double Ms, double GcMs)[] ServerStalls)
    {
        public double P50 => Percentile(Rtt, 0.50);
        public double P99 => Percentile(Rtt, 0.99);

        /// <summary>Writes above 5 ms.</summary>
        public int Slow => Rtt.Count(r => r > 5);

        /// <summary>Writes above 5 ms during which the PLC's event loop stalled.</summary>
        public int SlowInPlcStall => Enumerable.Range(0, Rtt.Length).Count(i => Rtt[i] > 5 && ServerStallInside(i) > 0);

        /// <summary>Writes above 5 ms during which this process paused for its GC.</summary>
        public int SlowInOurGc => Enumerable.Range(0, Rtt.Length).Count(i => Rtt[i] > 5 && GcPauseMs[i] > 0);

        /// <summary>Writes above 5 ms, and how many of them had a GC pause of this process inside.</summary>
        public string Tail()
        {
            var slow = Enumerable.Range(0, Rtt.Length).Where(i => Rtt[i] > 5).ToArray();
            var withGc = slow.Count(i => GcPauseMs[i] > 0);
            var gcMs = slow.Sum(i => GcPauseMs[i]);
            var stalled = slow.Select(ServerStallInside).ToArray();
            return $"{slow.Length} of {Rtt.Length} writes above 5 ms ({slow.Sum(i => Rtt[i]):F1} ms in all), {withGc} of them with a GC pause of ours inside ({gcMs:F1} ms of GC in them), " +
                $"{stalled.Count(s => s > 0)} with a PLC event-loop stall inside ({stalled.Sum():F1} ms of stall in them); " +
                $"all writes: {GcPauseMs.Count(g => g > 0)} with a GC pause of ours (max {GcPauseMs.Max():F2} ms); PLC stalls of 2 ms or more in the window: {StallsInWindow()}";
        }

        /// <summary>How long the PLC's event loop was stalled during write <paramref name="i"/>, ms.</summary>
        public double ServerStallInside(int i)
        {
            var from = StartUnixMs[i];
            var to = from + Rtt[i];
            return ServerStalls.Sum(s => Math.Max(0, Math.Min(to, s.Start + s.Ms) - Math.Max(from, s.Start)));
        }

        private string StallsInWindow()
        {
            var from = StartUnixMs.Min();
            var to = StartUnixMs.Max() + Rtt.Max();
            var inside = ServerStalls.Where(s => s.Start + s.Ms > from && s.Start < to).ToArray();
            return inside.Length == 0 ? "none" : $"{inside.Length}, {inside.Count(s => s.Ms > 5)} over 5 ms, longest {inside.Max(s => s.Ms):F1} ms, " +
                $"{inside.Sum(s => s.Ms):F1} ms in all of which {inside.Sum(s => s.GcMs):F1} ms V8 garbage collection";
        }
    }

    private static double Percentile(double[] values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
