using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Imv.Persistence.PostgreSql;
using Imv.Silo.Tests.Support;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;

namespace Imv.Bench.Failover;

/// <summary><c>failover [--quick]</c>: three Imv silo processes on a PostgreSQL server started for the run, the
/// simulated plant's 1,000 twins, a stream of commands, kill -9 of the silo running the simulator
/// (<see cref="FailoverScenario"/>); then calls between two silo processes (this process and a child process, silos
/// of one cluster on PostgreSQL) to 1,000 grains activated on the child. Last line: one JSON object.</summary>
public static class FailoverBench
{
    /// <summary>The child process's scenario name.</summary>
    public const string PeerScenario = "failover-peer";

    private const int Grains = 1000;

    // Devices of the MQTT edge: its gateway describes each new device's twin before the first reading, one after the
    // other, so the edge's twins take a while to appear (and again on the silo taking the connection over).
    private const int EdgeDevices = 100;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        bool quick = args.Contains("--quick");
        var figures = new Dictionary<string, object?>();
        var missing = new List<string>();
        if (PostgreSqlServer.FindBinaries() is null)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { error = "PostgreSQL is not installed: apt-get install -y postgresql (test.sh does it)" }));
            return 1;
        }
        Console.Error.WriteLine("failover: starting a PostgreSQL server...");
        await using var server = await PostgreSqlServer.StartAsync();

        // 1. Kill -9 under load.
        var cs = await server.CreateDatabaseAsync("failover");
        await using (var dataSource = NpgsqlDataSource.Create(cs)) await PostgreSqlSchema.MigrateAsync(dataSource, cancellationToken);
        // The MQTT edge: 100 devices publishing QoS 1 readings through mosquitto to a gateway connection of the cluster.
        await using var broker = await Imv.Gateways.Mqtt.Tests.MosquittoBroker.StartAsync();
        Console.Error.WriteLine("failover: starting 3 silos (the first bootstraps the plant of 1,000 twins)...");
        var started = Stopwatch.StartNew();
        await using (var cluster = await SiloCluster.StartAsync(cs, 3, [.. FailoverScenario.SimulatorArgs, .. AckedEdge.GatewayArgs(0, "edge", broker.Port)], TimeSpan.FromMinutes(4)))
        {
            Console.Error.WriteLine($"failover: 3 silos active after {started.Elapsed.TotalSeconds:F0} s");
            await using var edge = new AckedEdge(broker.Port, EdgeDevices);
            await edge.ConnectAsync(cancellationToken);
            var r = await FailoverScenario.RunAsync(cluster, line => Console.Error.WriteLine("failover: " + line), cancellationToken, edge: edge);
            figures["silos"] = 3;
            figures["twins"] = FailoverScenario.Twins().Length;
            figures["recovery_s"] = Math.Round(r.Recovery.TotalSeconds, 2);
            figures["declared_dead_s"] = Math.Round(r.DeclaredDead.TotalSeconds, 2);
            figures["gateway_moved_s"] = r.GatewayMoved is { } m ? Math.Round(m.TotalSeconds, 2) : null;
            figures["twins_answered"] = r.Answered;
            figures["acked_commands"] = r.AckedCommands;
            figures["commands_lost"] = r.Lost.Count;
            figures["twins_backwards"] = r.Backwards.Count;
            // A page of 50 through a survivor's HTTP API after the failover, over the 1,000 twins (bench -- list measures 100,000).
            figures["list_p99_ms"] = Math.Round(r.ListP99.TotalMilliseconds, 1);
            figures["listing_problems"] = r.ListingProblems.Count;
            foreach (var p in r.ListingProblems.Take(5)) Console.Error.WriteLine("failover: listing " + p);
            foreach (var l in r.Lost.Take(5)) Console.Error.WriteLine("failover: lost " + l);
            // Readings the broker acknowledged to the edge's devices, published through the kill of the silo holding the
            // MQTT connection (and a third of the twins): every one must be held by its twin afterwards.
            var e = r.Edge!;
            figures["edge_twins"] = EdgeDevices;
            figures["acked_readings"] = e.AckedReadings;
            figures["acked_readings_lost"] = e.AckedReadingsLost;
            figures["edge_moved_s"] = e.Moved is { } em ? Math.Round(em.TotalSeconds, 2) : null;
            figures["edge_caught_up_s"] = e.CaughtUp is { } ec ? Math.Round(ec.TotalSeconds, 2) : null;
            figures["edge_problems"] = e.Problems.Count;
            foreach (var p in e.Problems.Take(5)) Console.Error.WriteLine("failover: edge " + p);
            // Then the silo that holds twins but not the MQTT connection: the gateway's ingest calls to its twins fail
            // until they are active elsewhere.
            var (twinVictim, t) = await FailoverScenario.KillTwinSiloAsync(cluster, edge, line => Console.Error.WriteLine("failover: " + line), cancellationToken);
            figures["twin_silo_acked_readings"] = t.AckedReadings - e.AckedReadings;
            figures["twin_silo_acked_readings_lost"] = t.AckedReadingsLost;
            figures["twin_silo_caught_up_s"] = t.CaughtUp is { } tc ? Math.Round(tc.TotalSeconds, 2) : null;
            foreach (var p in t.Problems.Take(5)) Console.Error.WriteLine($"failover: edge after killing {twinVictim}: " + p);
        }

        // 2. Calls between two silo processes.
        var callsCs = await server.CreateDatabaseAsync("calls");
        await using (var dataSource = NpgsqlDataSource.Create(callsCs)) await PostgreSqlSchema.MigrateAsync(dataSource, cancellationToken);
        Console.Error.WriteLine($"failover: a second silo process with {Grains:N0} grains, called from this one...");
        using var peer = StartPeer(callsCs);
        try
        {
            await MeasureCrossSiloAsync(peer, callsCs, quick, figures, missing, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Said in the JSON, not as a stack trace: on a saturated machine silos of the default membership timing
            // may time out their calls.
            missing.Add($"cross_silo: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }
        finally
        {
            if (!peer.HasExited) peer.Kill(entireProcessTree: true);
        }
        figures["processors"] = Environment.ProcessorCount;
        figures["missing"] = missing;
        Console.WriteLine(JsonSerializer.Serialize(figures));
        return 0;
    }

    private static async Task MeasureCrossSiloAsync(Process peer, string callsCs, bool quick, Dictionary<string, object?> figures, List<string> missing, CancellationToken cancellationToken)
    {
        {
            await WaitReadyAsync(peer, cancellationToken);
            using var host = await StartSiloAsync(callsCs, "bench-caller", cancellationToken);
            var factory = (IGrainFactory)host.Services.GetService(typeof(IGrainFactory))!;
            var refs = Enumerable.Range(0, Grains).Select(i => factory.GetGrain<IRemotePingGrain>(i)).ToArray();
            var where = await Task.WhenAll(refs.Select(r => r.WhereAsync()));
            int remote = where.Count(w => w != "bench-caller");
            Console.Error.WriteLine($"failover: {remote} of {Grains} grains on the other silo process");
            if (remote != Grains) missing.Add($"cross-silo: only {remote} of {Grains} grains were on the other silo");
            int rounds = quick ? 5 : 11, calls = quick ? 5_000 : 20_000;
            var latencies = new List<double>();
            for (int round = 0; round < rounds; round++)
            {
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < calls; i++) await refs[i % Grains].PingAsync(i);
                latencies.Add(sw.Elapsed.TotalNanoseconds / calls);
            }
            latencies.Sort();
            figures["cross_silo_call_ns"] = Math.Round(latencies[latencies.Count / 2]);
            long total = 0;
            bool stop = false;
            var duration = TimeSpan.FromSeconds(quick ? 3 : 10);
            var sw2 = Stopwatch.StartNew();
            var callers = refs.Select(r => Task.Run(async () =>
            {
                long n = 0;
                while (!Volatile.Read(ref stop))
                {
                    await r.PingAsync(1);
                    if (++n % 64 == 0) await Imv.Bench.Grid.GlobalQueue.YieldAsync();
                }
                Interlocked.Add(ref total, n);
            }, cancellationToken)).ToArray();
            await Task.Delay(duration, cancellationToken);
            Volatile.Write(ref stop, true);
            await Task.WhenAll(callers);
            figures["cross_silo_calls_per_s"] = Math.Round(total / sw2.Elapsed.TotalSeconds);
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>The child process: a silo of the same cluster that activates the grains, says "ready" and runs until killed.</summary>
    public static async Task<int> RunPeerAsync(string[] args, CancellationToken cancellationToken)
    {
        using var host = await StartSiloAsync(args[0], "bench-peer", cancellationToken);
        var factory = (IGrainFactory)host.Services.GetService(typeof(IGrainFactory))!;
        // Placement prefers the calling silo: these calls activate every grain here.
        await Task.WhenAll(Enumerable.Range(0, Grains).Select(i => factory.GetGrain<IRemotePingGrain>(i).PingAsync(0).AsTask()));
        Console.WriteLine("ready");
        try { await Task.Delay(Timeout.Infinite, cancellationToken); } catch (OperationCanceledException) { }
        return 0;
    }

    private static Process StartPeer(string connectionString)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Imv.Bench.dll"));
        start.ArgumentList.Add(PeerScenario);
        start.ArgumentList.Add(connectionString);
        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("peer: " + e.Data); };
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitReadyAsync(Process peer, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        while (await peer.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            if (line == "ready") return;
        throw new InvalidOperationException("The peer silo exited before it was ready.");
    }

    private static async Task<IHost> StartSiloAsync(string connectionString, string name, CancellationToken cancellationToken)
    {
        var host = Host.CreateDefaultBuilder()
            .ConfigureLogging(l => l.ClearProviders().AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning))
            .UseOrleans(silo =>
            {
                silo.Configure<ClusterOptions>(o => { o.ClusterId = "bench"; o.ServiceId = "bench"; });
                silo.Configure<SiloOptions>(o => o.SiloName = name);
                silo.ConfigureEndpoints(IPAddress.Loopback, FreePort(), FreePort());
                silo.UseAdoNetClustering(o => { o.Invariant = "Npgsql"; o.ConnectionString = connectionString; });
            })
            .Build();
        await host.StartAsync(cancellationToken);
        return host;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
