using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Imv.Gateways.Mqtt;
using Imv.Gateways.MqttGateway;
using Imv.Gateways.Sparkplug.Proto;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Bench.Mqtt;

/// <summary>MQTT gateway benchmark against a mosquitto it starts: the broker's limit with a bare counting
/// subscriber, the same traffic ingested into machine twin grains (SQLite state) through the Sparkplug B
/// gateway and the telemetry router, and the latency of a control loop grain (device value in, command out
/// to the device). Prints a JSON object as its last line.</summary>
public static class MqttScenario
{
    private const string Group = "bench";
    private const int WarmupMessages = 100_000;

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(args);
        var quick = args.Contains("--quick");
        var messages = quick ? 200_000 : 1_000_000;
        const int publishers = 4;
        const int devicesPerPublisher = 250;
        const int loops = 10_000;
        const int warmupLoops = 500;

        await using var broker = await BenchBroker.StartAsync(ct);
        Console.Error.WriteLine($"mqtt: mosquitto on 127.0.0.1:{broker.Port}; {messages:N0} DDATA messages from {publishers} edge nodes x {devicesPerPublisher} devices, QoS 0");

        // Rounds alternate the two measurements so that both see the same moments of a shared machine; the
        // medians are reported. The gateway is not connected while the broker limit is measured.
        const int rounds = 3;
        var limits = new List<double>();
        var ingests = new List<double>();
        long applied = 0, dropped = 0, sinkCalls = 0;
        MqttGatewayConnection? gateway = null;
        await using var grid = await BenchTwinGrid.StartAsync(ct);
        for (var round = 0; round < rounds; round++)
        {
            var limit = await MeasureBrokerLimitAsync(broker.Port, $"raw{round}x", messages, publishers, devicesPerPublisher, ct);
            limits.Add(limit.Rate);
            Console.Error.WriteLine($"mqtt: round {round + 1}: broker limit (bare counting subscriber): {limit.Rate:N0} msg/s ({limit.Received:N0} received)");

            if (gateway is not null) await gateway.DisposeAsync();
            var options = new MqttGatewayOptions
            {
                Name = "bench",
                Port = broker.Port,
                Mode = MqttGatewayMode.SparkplugB,
                // Sized to absorb the whole burst of the publishers; anything dropped is still counted and reported.
                ReceiveBufferCapacity = 200_000,
                MaxBatchSize = 5_000,
                Sparkplug = new SparkplugGatewayOptions { GroupIds = [Group], HostId = "bench-host", CommandQos = 1 },
            };
            gateway = new MqttGatewayConnection(options, grid.Router);
            grid.UseGateway(gateway);
            await gateway.StartAsync(ct);
            var ingest = await MeasureIngestAsync(broker.Port, $"edge{round}x", gateway, grid, messages, publishers, devicesPerPublisher, ct);
            ingests.Add(ingest.Rate);
            applied += ingest.Received;
            dropped += gateway.Client.Statistics.MessagesDropped;
            sinkCalls += gateway.Statistics.TelemetryCalls;
            Console.Error.WriteLine($"mqtt: round {round + 1}: ingest into twin state: {ingest.Rate:N0} msg/s ({ingest.Received:N0} applied, {gateway.Client.Statistics.MessagesDropped} dropped, {gateway.Statistics.BadMessages} bad)");
        }
        static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        var brokerLimit = Median(limits);
        var ingestRate = Median(ingests);

        var latencies = await MeasureLoopAsync(broker.Port, gateway!, grid, loops, warmupLoops, ct);
        Array.Sort(latencies);
        double Percentile(double p) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(p * latencies.Length) - 1)];
        Console.Error.WriteLine($"mqtt: control loop over {latencies.Length:N0} loops: p50 {Percentile(0.5):F3} ms, p99 {Percentile(0.99):F3} ms, max {latencies[^1]:F3} ms");

        var result = new Dictionary<string, object>
        {
            ["scenario"] = "mqtt",
            ["quick"] = quick,
            ["messages"] = messages,
            ["twins"] = publishers * (devicesPerPublisher + 1),
            ["rounds"] = rounds,
            ["ingest_msgs_per_s"] = Math.Round(ingestRate),
            ["broker_limit_msgs_per_s"] = Math.Round(brokerLimit),
            ["ingest_vs_broker_limit"] = Math.Round(ingestRate / brokerLimit, 3),
            ["ingest_rounds_msgs_per_s"] = ingests.Select(v => Math.Round(v)).ToArray(),
            ["broker_limit_rounds_msgs_per_s"] = limits.Select(v => Math.Round(v)).ToArray(),
            ["ingest_messages_applied"] = applied,
            ["ingest_dropped"] = dropped,
            ["sink_calls"] = sinkCalls,
            ["loops"] = latencies.Length,
            ["loop_p50_ms"] = Math.Round(Percentile(0.5), 3),
            ["loop_p99_ms"] = Math.Round(Percentile(0.99), 3),
            ["loop_max_ms"] = Math.Round(latencies[^1], 3),
        };
        await gateway!.DisposeAsync();
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }


    private static async Task<List<BenchEdgeNode>> StartNodesAsync(int port, string prefix, int publishers, int devices, CancellationToken ct)
    {
        var nodes = Enumerable.Range(0, publishers).Select(p => new BenchEdgeNode(port, Group, $"{prefix}{p}", devices)).ToList();
        await Task.WhenAll(nodes.Select(n => n.StartAsync(ct)));
        return nodes;
    }

    private static async Task<(double Rate, long Received)> MeasureBrokerLimitAsync(int port, string prefix, int messages, int publishers, int devices, CancellationToken ct)
    {
        await using var counter = new RawCountingSubscriber();
        await counter.StartAsync(port, $"spBv1.0/{Group}/#", ct);
        var nodes = await StartNodesAsync(port, prefix, publishers, devices, ct);
        var births = publishers * (devices + 1);
        await WaitForAsync(() => counter.Count >= births, TimeSpan.FromSeconds(30), ct);
        // Warm-up (JIT tiering of publishers and client code), not measured.
        await Task.WhenAll(nodes.Select(n => n.PublishDataAsync(WarmupMessages / publishers, ct)));
        await WaitForProgressAsync(() => counter.Count - births, WarmupMessages, ct);
        var baseline = counter.Count;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(nodes.Select(n => n.PublishDataAsync(messages / publishers, ct)));
        var end = await WaitForProgressAsync(() => counter.Count - baseline, messages, ct);
        foreach (var n in nodes) await n.DisposeAsync();
        var received = counter.Count - baseline;
        return (received / Stopwatch.GetElapsedTime(started, end).TotalSeconds, received);
    }

    private static async Task<(double Rate, long Received)> MeasureIngestAsync(int port, string prefix, MqttGatewayConnection gateway, BenchTwinGrid grid, int messages, int publishers, int devices, CancellationToken ct)
    {
        var nodes = await StartNodesAsync(port, prefix, publishers, devices, ct);
        var births = publishers * (devices + 1);
        await WaitForAsync(() => gateway.Statistics.Messages >= births, TimeSpan.FromSeconds(30), ct);
        // Warm-up (JIT tiering of the gateway's and the twins' hot paths), not measured.
        var beforeWarmup = grid.Readings;
        await Task.WhenAll(nodes.Select(n => n.PublishDataAsync(WarmupMessages / publishers, ct)));
        await WaitForProgressAsync(() => (grid.Readings - beforeWarmup) / 3, WarmupMessages, ct);
        var baseline = grid.Readings;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(nodes.Select(n => n.PublishDataAsync(messages / publishers, ct)));
        // Each DDATA carries three metrics: a message is in twin state when the twin has taken its three
        // readings (IngestAsync returned, so the state write with them is committed).
        var end = await WaitForProgressAsync(() => (grid.Readings - baseline) / 3, messages, ct);
        foreach (var n in nodes) await n.DisposeAsync();
        var applied = (grid.Readings - baseline) / 3;
        return (applied / Stopwatch.GetElapsedTime(started, end).TotalSeconds, applied);
    }

    private static async Task<double[]> MeasureLoopAsync(int port, MqttGatewayConnection gateway, BenchTwinGrid grid, int loops, int warmup, CancellationToken ct)
    {
        var device = new BenchEdgeNode(port, Group, "loop", 1);
        await device.StartAsync(ct);
        await device.Client.SubscribeAsync($"spBv1.0/{Group}/DCMD/loop/#", MqttQualityOfService.AtMostOnce, ct);
        var twinId = $"{Group}.loop.d0";
        var twin = grid.Grains.GetGrain<IMachineGrain>(twinId);
        await WaitForAsync(() => gateway.Statistics.Messages >= 2, TimeSpan.FromSeconds(10), ct);
        await WaitForTwinAsync(twin, ct);
        // The control loop grain: reverse-acting P law with bias 1 around set point 0, so its output is pv + 1.
        // The twin triggers it on every new reading; its sample period is long, so every command comes from
        // the event, and it writes the twin's set point through the command path, out through the gateway.
        var config = await twin.GetConfigurationAsync();
        await twin.ConfigureAsync((config ?? new TwinConfiguration()) with
        {
            Gateway = gateway.Name,
            ControlLoops = ["bench-loop"],
            TriggeredLoops = ["bench-loop"],
            Tags = [new TagMetadata("pv", TagDataType.Double), new TagMetadata("sp", TagDataType.Double, Writable: true)],
        });
        var loop = grid.Grains.GetGrain<Imv.Grains.Interfaces.ControlLoops.IControlLoopGrain>("bench-loop");
        await loop.ConfigureAsync(new Imv.Grains.Interfaces.ControlLoops.ControlLoopConfiguration(twinId, "pv", twinId, "sp", 0,
            Imv.Grains.Interfaces.ControlLoops.ControlLawKind.Pid, TimeSpan.FromHours(1), -1e12, 1e12, SafeOutput: 0,
            Action: Imv.Grains.Interfaces.ControlLoops.ControlAction.Reverse, Pid: new Imv.Grains.Interfaces.ControlLoops.PidParameters(Kp: 1, Bias: 1),
            StaleAfter: TimeSpan.FromHours(1)));
        await loop.EnableAsync();

        var latencies = new double[loops];
        for (var i = -warmup; i < loops; i++)
        {
            var value = (double)(i + warmup + 1);
            var started = Stopwatch.GetTimestamp();
            await device.PublishProcessValueAsync(value, ct);
            while (true)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                MqttReceivedMessage message;
                try { message = await device.Client.Messages.ReadAsync(timeout.Token); }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    var status = await loop.GetStatusAsync();
                    var last = status.History.Count > 0 ? status.History[^1] : null;
                    throw new TimeoutException($"loop {i}: no command for pv {value} within 10 s; loop iterations {status.IterationCount}, last output {last?.Output}, note '{last?.Note}', command {last?.CommandId} {last?.CommandStatus}");
                }
                var payload = Payload.Parser.ParseFrom(message.Payload);
                if (payload.Metrics.Count == 1 && payload.Metrics[0].Name == "sp" && payload.Metrics[0].DoubleValue == value + 1) break;
            }
            if (i >= 0) latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            // The device carries the command out and reports its new set point, which confirms the command
            // (Applied) at the twin, as a real device would; not part of the measured loop.
            await device.PublishSetPointAsync(value + 1, ct);
            if (i == 0) Console.Error.WriteLine($"mqtt: {warmup} warm-up loops done");
        }
        await loop.DisableAsync();
        await device.DisposeAsync();
        return latencies;
    }

    private static async Task WaitForTwinAsync(IMachineGrain twin, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + 10 * Stopwatch.Frequency;
        while ((await twin.GetTagAsync("pv")) is null)
        {
            if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException("the loop twin was not described in time");
            await Task.Delay(5, ct);
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException("benchmark setup did not complete in time");
            await Task.Delay(5, ct);
        }
    }

    /// <summary>Waits until <paramref name="target"/> is reached, or until nothing moved for 3 s (messages lost);
    /// returns the timestamp of the last progress.</summary>
    private static async Task<long> WaitForProgressAsync(Func<long> progress, long target, CancellationToken ct)
    {
        var last = progress();
        var lastChange = Stopwatch.GetTimestamp();
        while (true)
        {
            var now = progress();
            if (now != last)
            {
                last = now;
                lastChange = Stopwatch.GetTimestamp();
            }
            if (now >= target) return lastChange;
            if (Stopwatch.GetElapsedTime(lastChange) > TimeSpan.FromSeconds(3))
            {
                Console.Error.WriteLine($"mqtt: stalled at {now:N0} of {target:N0}");
                return lastChange;
            }
            await Task.Delay(1, ct);
        }
    }
}
