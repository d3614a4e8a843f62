using System.Diagnostics;
using System.Text.Json;
using Imv.Bench.Grid;
using Imv.Gateways.Simulation;
using Imv.Grains.Interfaces.Replay;
using Imv.Persistence.Recording;
using Imv.Silo.Tests.Support;
using Imv.Silo.Plant;
using Imv.Silo.Recording;
using Imv.Silo.Replay;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Bench.Replay;

/// <summary>bench replay: records the simulated plant (1,000 machines at 1 Hz, the main job's twins and loops) with a
/// driven clock (a minute more, before the range replayed: the twins are seeded with their state at its start), replays it
/// twice as fast as possible into sandbox grids (<c>replay_speedup</c>: recorded time over
/// the feed's wall time; <c>deterministic</c>: both hashes equal), measures time travel and history over a recorded
/// day of one twin at 1 Hz (p99 of <c>?at=</c> at random instants and of 1,000-point histories of the whole day), and
/// runs the ingest scenario for <c>recording_overhead</c> (unless <c>--no-ingest</c>). <c>--quick</c> records 10
/// minutes of the plant instead of an hour. <c>--recording postgres</c> records into PostgreSQL (a server started for the
/// run) instead of a SQLite file: the replay, time travel and history then read it there.</summary>
internal static class ReplayScenario
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        bool quick = args.Contains("--quick");
        var recorded = TimeSpan.FromMinutes(BenchArguments.IntValue(args, "--minutes") ?? (quick ? 10 : 60));
        int machines = BenchArguments.IntValue(args, "--machines") ?? 1000;
        var figures = new Dictionary<string, object>();
        var missing = new List<string>();
        var dir = Directory.CreateTempSubdirectory("imv-bench-replay-");
        string recordingKind = BenchArguments.Value(args, "--recording") ?? "sqlite";
        figures["recording"] = recordingKind;
        PostgreSqlServer? server = null;
        if (recordingKind == "postgres")
        {
            if (PostgreSqlServer.FindBinaries() is null)
            {
                Console.WriteLine(JsonSerializer.Serialize(new { error = "--recording postgres: PostgreSQL is not installed: apt-get install -y postgresql (test.sh does it)" }));
                return 0;
            }
            Console.Error.WriteLine("replay: starting a PostgreSQL server for the recording...");
            server = await PostgreSqlServer.StartAsync();
        }
        else if (recordingKind != "sqlite")
        {
            Console.WriteLine(JsonSerializer.Serialize(new { error = $"--recording {recordingKind}: must be sqlite or postgres" }));
            return 2;
        }
        using var loggers = LoggerFactory.Create(b => b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning));
        try
        {
            figures["machines"] = machines;
            figures["recorded_s"] = recorded.TotalSeconds;
            try { await ReplayAsync(dir, server, machines, recorded, figures, loggers, cancellationToken); }
            catch (Exception e) when (e is not OperationCanceledException) { missing.Add($"replay: {e.GetType().Name}: {e.Message}"); }
            try { await TimeTravelAsync(dir, server, figures, loggers, cancellationToken); }
            catch (Exception e) when (e is not OperationCanceledException) { missing.Add($"time travel: {e.GetType().Name}: {e.Message}"); }
            if (args.Contains("--no-ingest")) missing.Add("recording_overhead: not measured (--no-ingest); run bench -- ingest --quick");
            else
            {
                try { await OverheadAsync(figures, missing, cancellationToken); }
                catch (Exception e) when (e is not OperationCanceledException) { missing.Add($"recording_overhead: {e.GetType().Name}: {e.Message}"); }
            }
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { }
            if (server is not null) await server.DisposeAsync();
        }
        if (BenchArguments.LoadAverage() is double load) figures["load_average"] = load;
        if (missing.Count > 0) figures["missing"] = missing;
        Console.WriteLine(JsonSerializer.Serialize(figures));
        return 0;
    }

    private static async Task ReplayAsync(DirectoryInfo dir, PostgreSqlServer? server, int machines, TimeSpan recorded, Dictionary<string, object> figures, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var sim = new SimulatorOptions { Sites = 2, LinesPerSite = 10, MachinesPerLine = Math.Max(1, machines / 20), TickInterval = TimeSpan.FromSeconds(1) };
        var options = new PlantOptions();
        var start = DateTimeOffset.UtcNow.AddHours(-2);
        var path = Path.Combine(dir.FullName, "plant.recording.db");
        var sw = Stopwatch.StartNew();
        SimulatedPlant plant;
        await using var recorder = await BenchRecorder.OpenAsync(path, server, loggers, cancellationToken);
        {
            var sink = new RecordingSink(recorder.Writer);
            plant = new SimulatedPlant(sim, sink, start);
            sink.Plant = plant;
            await plant.StartAsync(cancellationToken);
            // A minute more than replayed, before the range: the twins' state at the range's start is seeded from it.
            int ticks = (int)((recorded + WarmUp) / sim.TickInterval);
            for (int i = 0; i < ticks; i++)
            {
                await plant.StepAsync(null, cancellationToken);
                // The writer keeps up at its own pace; the queue must not overflow (a drop would be a hole in the recording).
                if (recorder.Enqueued - recorder.Committed > 100_000) await recorder.FlushAsync(cancellationToken);
            }
            await recorder.FlushAsync(cancellationToken);
            if (recorder.Dropped > 0) throw new InvalidOperationException($"the recording dropped {recorder.Dropped} entries");
            figures["recorded_entries"] = recorder.Committed;
            figures["recorded_readings"] = recorder.CommittedReadings;
        }
        figures["record_s"] = Math.Round(sw.Elapsed.TotalSeconds, 1);
        Console.Error.WriteLine($"replay: recorded {recorded} of {plant.Machines.Count} machines in {sw.Elapsed.TotalSeconds:F1} s{(server is null ? $" ({new FileInfo(path).Length / 1e6:F0} MB)" : " (PostgreSQL)")}");

        var recording = recorder.Reader.OpenForReplay();
        // The seeds are read through the recorder's reads (TwinHistory.AsOfAsync); it writes nothing while nothing is recorded.
        var history = recorder.Reader;
        var source = new PlantReplaySource(plant, options, recording);
        var from = start + WarmUp;
        var request = new ReplayRequest(from, from + recorded + TimeSpan.FromSeconds(1), Speed: "max");
        var (plan, problems) = await ReplayPlanner.PlanAsync(request, source, cancellationToken);
        if (plan is null) throw new InvalidOperationException(string.Join(" ", problems.Select(p => p.Message)));
        var hashes = new List<string>();
        for (int run = 1; run <= 2; run++)
        {
            sw.Restart();
            var replay = new ReplayRun($"bench-{run}", plan, "bench", loggers.CreateLogger<ReplayRun>(), history);
            await replay.RunAsync(recording);
            if (replay.State != ReplayState.Completed) throw new InvalidOperationException($"replay {run} ended {replay.State}: {replay.Error}");
            hashes.Add(replay.Hash!);
            Console.Error.WriteLine($"replay: run {run}: {replay.Seed?.Note} ({replay.Seed?.Seconds:F2} s)");
            Console.Error.WriteLine($"replay: run {run}: {replay.Progress.Entries:N0} entries, {replay.Progress.Readings:N0} readings, {replay.Progress.LoopSteps:N0} loop steps fed in {replay.FeedTime.TotalSeconds:F1} s ({replay.Speedup:F1}x), {sw.Elapsed.TotalSeconds:F1} s with sandbox start, configuration and hash; hash {replay.Hash}");
            if (run == 1)
            {
                figures["replay_speedup"] = Math.Round(replay.Speedup, 1);
                figures["replay_feed_s"] = Math.Round(replay.FeedTime.TotalSeconds, 1);
                figures["replay_wall_s"] = Math.Round(sw.Elapsed.TotalSeconds, 1);
                figures["replay_readings_per_s"] = Math.Round(replay.Progress.Readings / replay.FeedTime.TotalSeconds);
                figures["replay_loops"] = plan.Loops.Count;
                figures["replay_seeded_twins"] = replay.Seed?.Twins ?? 0;
                figures["replay_seed_s"] = replay.Seed?.Seconds ?? 0;
                // The seeding's share of the replay: seeding time over feed time.
                figures["replay_seed_share"] = Math.Round((replay.Seed?.Seconds ?? 0) / replay.FeedTime.TotalSeconds, 3);
                var t = replay.Report!.Total;
                Console.Error.WriteLine(replay.Report.ToTable(maxTwins: 5));
                figures["replay_alarms"] = t.Replay.AlarmsRaised;
                figures["replay_commands"] = t.Replay.CommandsIssued;
            }
            else
            {
                figures["replay_speedup_second"] = Math.Round(replay.Speedup, 1);
                figures["replay_seed_s_second"] = replay.Seed?.Seconds ?? 0;
            }
        }
        figures["deterministic"] = hashes[0] == hashes[1];
        figures["hash"] = hashes[0];
    }

    private static async Task TimeTravelAsync(DirectoryInfo dir, PostgreSqlServer? server, Dictionary<string, object> figures, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var sim = new SimulatorOptions { Sites = 1, LinesPerSite = 1, MachinesPerLine = 1, TickInterval = TimeSpan.FromSeconds(1) };
        var start = DateTimeOffset.UtcNow.AddDays(-1).AddHours(-1);
        var day = TimeSpan.FromDays(1);
        var path = Path.Combine(dir.FullName, "day.recording.db");
        var sw = Stopwatch.StartNew();
        await using var recorder = await BenchRecorder.OpenAsync(path, server, loggers, cancellationToken);
        var sink = new RecordingSink(recorder.Writer);
        var plant = new SimulatedPlant(sim, sink, start);
        sink.Plant = plant;
        await plant.StartAsync(cancellationToken);
        for (int i = 0; i < (int)day.TotalSeconds; i++)
        {
            await plant.StepAsync(null, cancellationToken);
            if (recorder.Enqueued - recorder.Committed > 100_000) await recorder.FlushAsync(cancellationToken);
        }
        await recorder.FlushAsync(cancellationToken);
        var twin = plant.Machines[0].Id;
        var config = PlantBootstrapService.TwinConfigurationOf(plant.TwinConfigurationFor(twin), [], new PlantOptions());
        var names = config.Tags!.Select(t => t.Name).ToArray();
        var range = (await recorder.Reader.RangeAsync(twin, cancellationToken))!.Value;
        Console.Error.WriteLine($"replay: recorded a day of one machine at 1 Hz ({recorder.Committed:N0} entries) in {sw.Elapsed.TotalSeconds:F1} s");

        var rng = new Random(7);
        var at = new List<double>();
        for (int i = 0; i < 200; i++)
        {
            var instant = range.First + TimeSpan.FromSeconds(rng.NextDouble() * (range.Last - range.First).TotalSeconds);
            sw.Restart();
            var asOf = await TwinHistory.AsOfAsync(recorder.Reader, twin, instant, range, names, config.AlarmBands, cancellationToken: cancellationToken);
            at.Add(sw.Elapsed.TotalMilliseconds);
            if (asOf.Tags.Count != names.Length) throw new InvalidOperationException($"?at= found {asOf.Tags.Count} of {names.Length} tags");
        }
        var history = new List<double>();
        var slow = new List<string>();
        for (int i = 0; i < HistorySamples; i++)
        {
            int gcs = GC.CollectionCount(0);
            sw.Restart();
            var series = await TwinHistory.SeriesAsync(recorder.Reader, twin, "temperature", range.First, range.Last, 1000, cancellationToken);
            double ms = sw.Elapsed.TotalMilliseconds;
            history.Add(ms);
            if (series is null || series.Points.Count == 0) throw new InvalidOperationException("empty history");
            // What a slow sample did: which one it was (the first pays for JIT and a cold page cache) and whether a
            // collection ran during it.
            if (ms >= 50) slow.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"#{i} {ms:F1} ms ({GC.CollectionCount(0) - gcs} gen0 GCs)"));
        }
        Console.Error.WriteLine($"replay: {HistorySamples} day histories at 1,000 points: {slow.Count} of 50 ms or more{(slow.Count > 0 ? ": " + string.Join(", ", slow) : "")}");
        figures["time_travel_p99_ms"] = Math.Round(Percentile(at, 0.99), 1);
        figures["time_travel_p50_ms"] = Math.Round(Percentile(at, 0.50), 1);
        figures["history_p99_ms"] = Math.Round(Percentile(history, 0.99), 1);
        figures["history_p50_ms"] = Math.Round(Percentile(history, 0.50), 1);
        figures["history_day_entries"] = recorder.Committed;
    }

    /// <summary>Recorded before the replayed range: the state the replay's twins are seeded with.</summary>
    private static readonly TimeSpan WarmUp = TimeSpan.FromMinutes(1);

    /// <summary>History reads timed (every one counted, the first included: p99 is the second-slowest of 200).</summary>
    private const int HistorySamples = 200;

    /// <summary>The ingest scenario itself (its own JSON line captured): the overhead is measured its way.</summary>
    private static async Task OverheadAsync(Dictionary<string, object> figures, List<string> missing, CancellationToken cancellationToken)
    {
        var original = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(captured);
        try { await Imv.Bench.Ingest.IngestScenario.RunAsync(["--quick"], cancellationToken); }
        finally { Console.SetOut(original); }
        var last = captured.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        using var json = JsonDocument.Parse(last ?? "{}");
        if (json.RootElement.TryGetProperty("recording_overhead", out var overhead)) figures["recording_overhead"] = overhead.GetDouble();
        else missing.Add("recording_overhead: the ingest scenario reported none");
        if (json.RootElement.TryGetProperty("tag_updates_per_s", out var off)) figures["ingest_tag_updates_per_s"] = off.GetDouble();
        if (json.RootElement.TryGetProperty("tag_updates_per_s_recording", out var on)) figures["ingest_tag_updates_per_s_recording"] = on.GetDouble();
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }
}
