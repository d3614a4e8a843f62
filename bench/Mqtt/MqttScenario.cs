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
        var clientArg = args.SkipWhile(a => a != "--client").Skip(1).FirstOrDefault() ?? "both";
        // --breakdown: after each measured loop (outside its measured time) read when the loop grain stepped and
        // when the twin issued and delivered its command, and report where the time of the slowest loops went.
        var hops = args.Contains("--breakdown") ? new List<LoopHops>() : null;
        // --loops-only: the control loop alone, without the ingest rounds before it (their figures are null), for
        // working on the loop's latency; the process then has a smaller heap than in the full scenario.
        var rounds = args.Contains("--loops-only") ? 0 : 3;
        MqttClientKind[] kinds = clientArg.ToLowerInvariant() switch
        {
            "both" => [MqttClientKind.Own, MqttClientKind.MqttNet],
            "mqttnet" => [MqttClientKind.MqttNet],
            "own" => [MqttClientKind.Own],
            _ => [],
        };
        if (kinds.Length == 0)
        {
            Console.Error.WriteLine($"mqtt: --client '{clientArg}' is not MqttNet, Own or both");
            Console.WriteLine(JsonSerializer.Serialize(new { scenario = "mqtt", error = $"--client '{clientArg}' is not MqttNet, Own or both" }));
            return 2;
        }
        var loadBefore = LoadAverage();

        await using var broker = await BenchBroker.StartAsync(ct);
        Console.Error.WriteLine($"mqtt: mosquitto on 127.0.0.1:{broker.Port}; {messages:N0} DDATA messages from {publishers} edge nodes x {devicesPerPublisher} devices (in a process of their own), QoS 0; clients: {string.Join(", ", kinds)}; load {loadBefore}");
        var bare = BareMosquittoSub.IsInstalled;
        if (!bare) Console.Error.WriteLine($"mqtt: {BareMosquittoSub.Executable} is missing (apt-get install -y mosquitto-clients): the bare subscriber's figures are left out");

        // Rounds alternate the measurements (and the order of the clients) so that all see the same moments of a
        // shared machine; the medians are reported. Only one subscriber reads the stream at a time.
        var limits = new List<double>();
        var bareRates = new List<double>();
        var bareCpu = new List<double>();
        var perClient = kinds.ToDictionary(k => k, _ => new ClientFigures());
        await using var grid = await BenchTwinGrid.StartAsync(ct);
        for (var round = 0; round < rounds; round++)
        {
            var limit = await MeasureBrokerLimitAsync(broker.Port, $"raw{round}x", messages, publishers, devicesPerPublisher, ct);
            limits.Add(limit.Rate);
            Console.Error.WriteLine($"mqtt: round {round + 1}: broker limit (bare counting subscriber): {limit.Rate:N0} msg/s ({limit.Received:N0} received)");
            if (bare)
            {
                var sub = await MeasureBareSubscriberAsync(broker.Port, $"sub{round}x", messages, publishers, devicesPerPublisher, ct);
                bareRates.Add(sub.Rate);
                bareCpu.Add(sub.CpuUsPerMessage);
                Console.Error.WriteLine($"mqtt: round {round + 1}: mosquitto_sub: {sub.Rate:N0} msg/s, {sub.CpuUsPerMessage:F2} us CPU per message ({sub.Received:N0} received)");
            }
            foreach (var kind in round % 2 == 0 ? kinds : kinds.Reverse())
            {
                await using var gateway = await StartGatewayAsync(broker.Port, kind, grid, ct);
                var ingest = await MeasureIngestAsync(broker.Port, $"e{round}{kind}", gateway, grid, messages, publishers, devicesPerPublisher, ct);
                var f = perClient[kind];
                f.Rates.Add(ingest.Rate);
                f.CpuUsPerMessage.Add(ingest.CpuUsPerMessage);
                f.Applied += ingest.Received;
                f.Dropped += gateway.Client.Statistics.MessagesDropped;
                f.SinkCalls += gateway.Statistics.TelemetryCalls;
                Console.Error.WriteLine($"mqtt: round {round + 1}: {kind}: ingest into twin state: {ingest.Rate:N0} msg/s, {ingest.CpuUsPerMessage:F2} us CPU per message in the gateway's process ({ingest.Received:N0} applied, {gateway.Client.Statistics.MessagesDropped} dropped, {gateway.Statistics.BadMessages} bad)");
            }
        }
        static double Median(List<double> values) => values.Count == 0 ? double.NaN : values.Order().ElementAt(values.Count / 2);
        // JSON has no NaN: a figure not measured (--loops-only) is null.
        static double? Figure(double value, int digits = 0) => double.IsNaN(value) ? null : Math.Round(value, digits);
        var brokerLimit = Median(limits);

        // The loops run in chunks that alternate the clients, so that a busy minute of the machine falls on both.
        const int chunks = 10;
        var loopLatencies = kinds.ToDictionary(k => k, _ => new List<double>());
        for (var chunk = 0; chunk < chunks; chunk++)
        {
            foreach (var kind in chunk % 2 == 0 ? kinds : kinds.Reverse())
            {
                await using var gateway = await StartGatewayAsync(broker.Port, kind, grid, ct);
                // A twin and a loop grain of its own per chunk: each chunk starts from a fresh control loop.
                var run = await MeasureLoopAsync(broker.Port, $"loop{kind.ToString().ToLowerInvariant()}{chunk}", gateway, grid, loops / chunks, warmupLoops / 5, 0, ct, hops);
                loopLatencies[kind].AddRange(run.Latencies);
                perClient[kind].LoopAllocatedBytes += run.AllocatedBytes;
                perClient[kind].LoopCollections += run.Collections;
            }
        }
        foreach (var kind in kinds)
        {
            var latencies = loopLatencies[kind].ToArray();
            Array.Sort(latencies);
            double Percentile(double p) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(p * latencies.Length) - 1)];
            var f = perClient[kind];
            (f.LoopP50, f.LoopP99, f.LoopMax) = (Percentile(0.5), Percentile(0.99), latencies[^1]);
            f.Loops = latencies.Length;
            Console.Error.WriteLine($"mqtt: {kind}: control loop over {latencies.Length:N0} loops: p50 {f.LoopP50:F3} ms, p99 {f.LoopP99:F3} ms, max {f.LoopMax:F3} ms; {f.LoopAllocatedBytes / latencies.Length:N0} bytes allocated and {(double)f.LoopCollections / latencies.Length:F3} garbage collections per loop (the process's{(hops is null ? "" : ", --breakdown's reads included")})");
        }
        if (hops is { Count: > 0 }) LoopHops.Report(hops);
        var loadAfter = LoadAverage();

        // The top-level figures are the first client's (the gateway's default, Own, unless --client says otherwise); each client's are under "clients".
        var main = perClient[kinds[0]];
        var result = new Dictionary<string, object?>
        {
            ["scenario"] = "mqtt",
            ["quick"] = quick,
            ["messages"] = messages,
            ["rounds"] = rounds,
            ["client"] = kinds[0].ToString(),
            ["load_average_before"] = loadBefore,
            ["load_average_after"] = loadAfter,
            ["ingest_msgs_per_s"] = Figure(Median(main.Rates)),
            ["broker_limit_msgs_per_s"] = Figure(brokerLimit),
            ["ingest_vs_broker_limit"] = Figure(Median(main.Rates) / brokerLimit, 3),
            ["cpu_us_per_msg"] = Figure(Median(main.CpuUsPerMessage), 2),
            ["broker_limit_rounds_msgs_per_s"] = limits.Select(v => Math.Round(v)).ToArray(),
            ["mosquitto_sub_msgs_per_s"] = bare ? Figure(Median(bareRates)) : null,
            ["mosquitto_sub_cpu_us_per_msg"] = bare ? Figure(Median(bareCpu), 2) : null,
            ["mosquitto_sub_cpu_us_per_msg_rounds"] = bare ? bareCpu.Select(v => Math.Round(v, 2)).ToArray() : null,
            ["loop_p50_ms"] = Math.Round(main.LoopP50, 3),
            ["loop_p99_ms"] = Math.Round(main.LoopP99, 3),
            ["clients"] = perClient.ToDictionary(p => p.Key.ToString(), p => (object)new Dictionary<string, object?>
            {
                ["ingest_msgs_per_s"] = Figure(Median(p.Value.Rates)),
                ["ingest_vs_broker_limit"] = Figure(Median(p.Value.Rates) / brokerLimit, 3),
                ["ingest_rounds_msgs_per_s"] = p.Value.Rates.Select(v => Math.Round(v)).ToArray(),
                ["cpu_us_per_msg"] = Figure(Median(p.Value.CpuUsPerMessage), 2),
                ["cpu_us_per_msg_rounds"] = p.Value.CpuUsPerMessage.Select(v => Math.Round(v, 2)).ToArray(),
                ["ingest_messages_applied"] = p.Value.Applied,
                ["ingest_dropped"] = p.Value.Dropped,
                ["sink_calls"] = p.Value.SinkCalls,
                ["loops"] = p.Value.Loops,
                ["loop_p50_ms"] = Math.Round(p.Value.LoopP50, 3),
                ["loop_p99_ms"] = Math.Round(p.Value.LoopP99, 3),
                ["loop_max_ms"] = Math.Round(p.Value.LoopMax, 3),
                ["loop_allocated_bytes_per_loop"] = p.Value.Loops == 0 ? null : p.Value.LoopAllocatedBytes / p.Value.Loops,
                ["loop_collections_per_loop"] = p.Value.Loops == 0 ? null : Math.Round((double)p.Value.LoopCollections / p.Value.Loops, 4),
            }),
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private sealed class ClientFigures
    {
        public List<double> Rates { get; } = [];
        public List<double> CpuUsPerMessage { get; } = [];
        public long Applied { get; set; }
        public long Dropped { get; set; }
        public long SinkCalls { get; set; }
        public int Loops { get; set; }
        public double LoopP50 { get; set; }
        public double LoopP99 { get; set; }
        public double LoopMax { get; set; }
        public long LoopAllocatedBytes { get; set; }
        public long LoopCollections { get; set; }
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static TimeSpan OwnCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    private static async Task<MqttGatewayConnection> StartGatewayAsync(int port, MqttClientKind kind, BenchTwinGrid grid, CancellationToken ct)
    {
        var options = new MqttGatewayOptions
        {
            Name = "bench",
            Port = port,
            Client = kind,
            Mode = MqttGatewayMode.SparkplugB,
            // Sized to absorb the whole burst of the publishers; anything dropped is still counted and reported.
            ReceiveBufferCapacity = 200_000,
            MaxBatchSize = 5_000,
            Sparkplug = new SparkplugGatewayOptions { GroupIds = [Group], HostId = "bench-host", CommandQos = 1 },
        };
        var gateway = new MqttGatewayConnection(options, grid.Router);
        grid.UseGateway(gateway);
        await gateway.StartAsync(ct);
        return gateway;
    }

    private static async Task<(double Rate, long Received)> MeasureBrokerLimitAsync(int port, string prefix, int messages, int publishers, int devices, CancellationToken ct)
    {
        await using var counter = new RawCountingSubscriber();
        await counter.StartAsync(port, $"spBv1.0/{Group}/#", ct);
        await using var nodes = await PublisherProcess.StartAsync(port, prefix, publishers, devices, ct);
        var births = publishers * (devices + 1);
        await WaitForAsync(() => counter.Count >= births, TimeSpan.FromSeconds(30), ct);
        // Warm-up (JIT tiering of publishers and client code), not measured.
        await nodes.PublishAsync(WarmupMessages / publishers, ct);
        await WaitForProgressAsync(() => counter.Count - births, WarmupMessages, ct);
        var baseline = counter.Count;
        var started = Stopwatch.GetTimestamp();
        await nodes.PublishAsync(messages / publishers, ct);
        var end = await WaitForProgressAsync(() => counter.Count - baseline, messages, ct);
        var received = counter.Count - baseline;
        return (received / Stopwatch.GetElapsedTime(started, end).TotalSeconds, received);
    }

    private static async Task<(double Rate, double CpuUsPerMessage, long Received)> MeasureBareSubscriberAsync(int port, string prefix, int messages, int publishers, int devices, CancellationToken ct)
    {
        await using var sub = BareMosquittoSub.Start(port, $"spBv1.0/{Group}/#");
        // mosquitto_sub says nothing once subscribed; the publishers' process takes longer than that to start, and
        // the warm-up is awaited by progress, so a birth it might miss changes nothing measured.
        await using var nodes = await PublisherProcess.StartAsync(port, prefix, publishers, devices, ct);
        var births = publishers * (devices + 1);
        await WaitForProgressAsync(() => sub.Count, births, ct);
        var beforeWarmup = sub.Count;
        await nodes.PublishAsync(WarmupMessages / publishers, ct);
        await WaitForProgressAsync(() => sub.Count - beforeWarmup, WarmupMessages, ct);
        var baseline = sub.Count;
        var cpu = sub.CpuTime;
        var started = Stopwatch.GetTimestamp();
        await nodes.PublishAsync(messages / publishers, ct);
        var end = await WaitForProgressAsync(() => sub.Count - baseline, messages, ct);
        var received = sub.Count - baseline;
        var used = sub.CpuTime - cpu;
        return (received / Stopwatch.GetElapsedTime(started, end).TotalSeconds, used.TotalMicroseconds / Math.Max(1, received), received);
    }

    private static async Task<(double Rate, double CpuUsPerMessage, long Received)> MeasureIngestAsync(int port, string prefix, MqttGatewayConnection gateway, BenchTwinGrid grid, int messages, int publishers, int devices, CancellationToken ct)
    {
        var before = gateway.Statistics.Messages;
        await using var nodes = await PublisherProcess.StartAsync(port, prefix, publishers, devices, ct);
        var births = publishers * (devices + 1);
        await WaitForAsync(() => gateway.Statistics.Messages - before >= births, TimeSpan.FromSeconds(30), ct);
        // Warm-up (JIT tiering of the gateway's and the twins' hot paths), not measured.
        var beforeWarmup = grid.Readings;
        await nodes.PublishAsync(WarmupMessages / publishers, ct);
        await WaitForProgressAsync(() => (grid.Readings - beforeWarmup) / 3, WarmupMessages, ct);
        var baseline = grid.Readings;
        var cpu = OwnCpu();
        var started = Stopwatch.GetTimestamp();
        await nodes.PublishAsync(messages / publishers, ct);
        // Each DDATA carries three metrics: a message is in twin state when the twin has taken its three
        // readings (IngestAsync returned, so the state write with them is committed).
        var end = await WaitForProgressAsync(() => (grid.Readings - baseline) / 3, messages, ct);
        var used = OwnCpu() - cpu;
        var applied = (grid.Readings - baseline) / 3;
        return (applied / Stopwatch.GetElapsedTime(started, end).TotalSeconds, used.TotalMicroseconds / Math.Max(1, applied), applied);
    }

    private static async Task<(double[] Latencies, long AllocatedBytes, long Collections)> MeasureLoopAsync(int port, string edge, MqttGatewayConnection gateway, BenchTwinGrid grid, int loops, int warmup, double valueOffset, CancellationToken ct, List<LoopHops>? hops = null)
    {
        var device = new BenchEdgeNode(port, Group, edge, 1);
        await device.StartAsync(ct);
        await device.Client.SubscribeAsync($"spBv1.0/{Group}/DCMD/{edge}/#", MqttQualityOfService.AtMostOnce, ct);
        var twinId = $"{Group}.{edge}.d0";
        var twin = grid.Grains.GetGrain<IMachineGrain>(twinId);
        
        await WaitForTwinAsync(twin, ct);
        // The control loop grain: reverse-acting P law with bias 1 around set point 0, so its output is pv + 1.
        // The twin triggers it on every new reading; its sample period is long, so every command comes from
        // the event, and it writes the twin's set point through the command path, out through the gateway.
        var config = await twin.GetConfigurationAsync();
        await twin.ConfigureAsync((config ?? new TwinConfiguration()) with
        {
            Gateway = gateway.Name,
            ControlLoops = ["bench-" + edge],
            TriggeredLoops = ["bench-" + edge],
            Tags = [new TagMetadata("pv", TagDataType.Double), new TagMetadata("sp", TagDataType.Double, Writable: true)],
        });
        var loop = grid.Grains.GetGrain<Imv.Grains.Interfaces.ControlLoops.IControlLoopGrain>("bench-" + edge);
        await loop.ConfigureAsync(new Imv.Grains.Interfaces.ControlLoops.ControlLoopConfiguration(twinId, "pv", twinId, "sp", 0,
            Imv.Grains.Interfaces.ControlLoops.ControlLawKind.Pid, TimeSpan.FromHours(1), -1e12, 1e12, SafeOutput: 0,
            Action: Imv.Grains.Interfaces.ControlLoops.ControlAction.Reverse, Pid: new Imv.Grains.Interfaces.ControlLoops.PidParameters(Kp: 1, Bias: 1),
            StaleAfter: TimeSpan.FromHours(1)));
        await loop.EnableAsync();

        var latencies = new double[loops];
        long allocatedAtStart = 0, collectionsAtStart = 0;
        for (var i = -warmup; i < loops; i++)
        {
            if (i == 0) (allocatedAtStart, collectionsAtStart) = (GC.GetTotalAllocatedBytes(precise: false), GC.CollectionCount(0));
            var value = valueOffset + i + warmup + 1;
            var collections = GC.CollectionCount(0);
            var started = Stopwatch.GetTimestamp();
            var publishedAt = DateTimeOffset.UtcNow;
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
            collections = GC.CollectionCount(0) - collections;
            if (i >= 0 && hops is not null)
            {
                var receivedAt = DateTimeOffset.UtcNow;
                var step = (await loop.GetStatusAsync()).History[^1];
                var record = step.CommandId is { } id ? await twin.GetCommandAsync(id) : null;
                DateTimeOffset? At(CommandDeliveryStatus status) => record?.Transitions.FirstOrDefault(t => t.Status == status)?.At;
                hops.Add(new LoopHops(latencies[i], publishedAt, step.At, At(CommandDeliveryStatus.Issued), At(CommandDeliveryStatus.Delivered), receivedAt, collections));
            }
            // The device carries the command out and reports its new set point, which confirms the command
            // (Applied) at the twin, as a real device would; not part of the measured loop.
            await device.PublishSetPointAsync(value + 1, ct);
            if (i == 0) Console.Error.WriteLine($"mqtt: {warmup} warm-up loops done");
        }
        var (allocated, collected) = (GC.GetTotalAllocatedBytes(precise: false) - allocatedAtStart, GC.CollectionCount(0) - collectionsAtStart);
        await loop.DisableAsync();
        await device.DisposeAsync();
        return (latencies, allocated, collected);
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
