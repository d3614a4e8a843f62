using Imv.Bench;

// Each scenario prints progress to stderr and, as its last line on stdout, one JSON object of figures.
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
var scenario = args.Length > 0 ? args[0] : "";
var rest = args.Skip(1).ToArray();
switch (scenario)
{
    case "ping": return await Imv.Bench.Ping.PingScenario.RunAsync(rest, cts.Token);
    case "ingest": return await Imv.Bench.Ingest.IngestScenario.RunAsync(rest, cts.Token);
    case "mqtt": return await Imv.Bench.Mqtt.MqttScenario.RunAsync(rest, cts.Token);
    case Imv.Bench.Mqtt.PublisherProcess.Scenario: return await Imv.Bench.Mqtt.PublisherProcess.RunChildAsync(rest, cts.Token);
    case "recorder": return await Imv.Bench.Recorder.RecorderScenario.RunAsync(rest, cts.Token);
    case "replay": return await Imv.Bench.Replay.ReplayScenario.RunAsync(rest, cts.Token);
    case "bdn": return BenchmarkSuite.Run(rest);
    case "opcua": return await Imv.Bench.OpcUa.OpcUaScenario.RunAsync(rest, cts.Token);
    case "failover": return await Imv.Bench.Failover.FailoverBench.RunAsync(rest, cts.Token);
    case Imv.Bench.Failover.FailoverBench.PeerScenario: return await Imv.Bench.Failover.FailoverBench.RunPeerAsync(rest, cts.Token);
    case "watch": return await Imv.Bench.Watch.WatchScenario.RunAsync(rest, cts.Token);
    case "list": return await Imv.Bench.List.ListScenario.RunAsync(rest, cts.Token);
    case "sdk-reads": return await Imv.Bench.SdkReads.SdkReadsScenario.RunAsync(rest, cts.Token);
    default:
        Console.Error.WriteLine("usage: dotnet run -c Release --project bench -- <scenario> [--quick]");
        Console.Error.WriteLine("scenarios: ping (runtime call path), ingest (telemetry into twins), mqtt [--client MqttNet|Own|both], opcua, failover (kill -9 in a 3-silo cluster on PostgreSQL), watch (SDK subscriptions and the live page), list (twin listings over 100,000 twins), sdk-reads (SDK reads through the gateway, authenticated), replay (record, replay into a sandbox, time travel), recorder (the SQLite recorder alone: writer CPU per reading), bdn <filter> (BenchmarkDotNet suite)");
        return 2;
}
