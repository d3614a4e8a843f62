using System.Diagnostics;
using System.Text.Json;
using Imv.Bench.Grid;
using Imv.Gateways.Twins;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Persistence.Recording;
using Imv.Persistence.Sqlite.Recording;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Bench.Ingest;

/// <summary>Telemetry into machine twins the way gateways deliver it (through the telemetry router), with
/// SQLite group-committed write-behind on, on an Orleans silo: tag updates per second over 100,000 twins of 20 tags, and the
/// memory of an idle twin. With the plant recording on (unless --no-recording) the sending alternates phases
/// without and with recording, one round of every twin each, in blocks of off, on, on, off for twice the duration (the
/// storage's checkpoints, seconds of its writer's time each, and a drift of the machine's load fall on both alike), and
/// reports both rates and <c>recording_overhead</c> (cost per update with over without, minus 1) with its spread over the
/// blocks. A phase with recording ends when the recorder committed everything handed to it, so a writer that lags is
/// counted.</summary>
public static class IngestScenario
{
    private const int TagsPerTwin = 20;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        bool quick = args.Contains("--quick");
        int twins = BenchArguments.IntValue(args, "--twins") ?? 100_000;
        var duration = TimeSpan.FromSeconds(BenchArguments.IntValue(args, "--seconds") ?? (quick ? 8 : 30));
        var phasesArgument = PhasesArgument(args);
        if (args.Contains("--phases") && phasesArgument is null)
        {
            Console.Error.WriteLine("ingest: --phases needs a comma-separated list of on and off (e.g. --phases on, or --phases off,on)");
            return 2;
        }
        var dir = Directory.CreateTempSubdirectory("imv-ingest-");
        try
        {
            bool memory = args.Contains("--memory");
            bool recording = !args.Contains("--no-recording");
            var recordingOptions = new RecordingOptions { Path = Path.Combine(dir.FullName, "bench.recording.db") };
            await using var cluster = await BenchSilo.StartAsync(memory ? "memory" : args.Contains("--no-write-behind") ? "sqlite-direct" : "sqlite",
                recording ? s => s.AddSqliteRecording(recordingOptions) : null, cancellationToken);
            var recorder = recording ? cluster.Services.GetRequiredService<SqliteTwinRecorder>() : null;
            // Describing and the first round are not measured, nor recorded. With recording, a second round warms the
            // recorder (unless --cold-recording): its per-twin state (a twin's minute figures, its span of the index) is
            // made when a twin first records, once per twin and process, as the twins' own state is made by describing
            // them; it comes after the idle twin is measured (the recorder's memory is not the twin's).
            bool warmRecording = recorder is not null && !args.Contains("--cold-recording");
            if (recorder is not null) recorder.Paused = true;
            var silo = cluster.Grains;
            var sqlite = cluster.Sqlite?.Store;
            var routerOptions = new TwinTelemetryRouterOptions();
            if (BenchArguments.IntValue(args, "--pending") is int pending) routerOptions.MaxPendingUpdates = pending;
            var router = new TwinTelemetryRouter(silo, NullLogger<TwinTelemetryRouter>.Instance, routerOptions);
            var tagNames = Enumerable.Range(0, TagsPerTwin).Select(i => "tag" + i.ToString("00", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            var ids = Enumerable.Range(0, twins).Select(i => "bench.machine-" + i.ToString("000000", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            var metadata = tagNames.Select(n => new TagMetadata(n, TagDataType.Double, "unit")).ToArray();

            Console.Error.WriteLine($"ingest: describing {twins:N0} twins of {TagsPerTwin} tags...");
            long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
            var sw = Stopwatch.StartNew();
            await ForEachTwinAsync(ids, id => router.DescribeTwinAsync(new TwinDescription(id, "bench", metadata), cancellationToken).AsTask(), cancellationToken);
            long sequence = 0;
            await SendRoundAsync(router, ids, tagNames, ++sequence, cancellationToken);
            await router.FlushAsync(cancellationToken);
            // An idle twin has no record waiting for write-behind: its state is in grain_state. The storage keeps
            // the versions of records it wrote for one more checkpoint (the next write of a hot grain then needs no
            // read of the table), so an idle twin is measured after two.
            if (sqlite is not null)
            {
                await sqlite.CheckpointAsync(cancellationToken);
                await sqlite.CheckpointAsync(cancellationToken);
            }
            Console.Error.WriteLine($"ingest: {twins:N0} twins ready in {sw.Elapsed.TotalSeconds:F1} s");
            long memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
            double bytesPerTwin = (memoryAfter - memoryBefore) / (double)twins;
            Console.Error.WriteLine($"ingest: bytes_per_idle_twin={bytesPerTwin:F0}");
            if (BenchArguments.IntValue(args, "--hold-idle") is int holdSeconds)
            {
                // Time to take a heap snapshot of the idle grid (dotnet-gcdump collect -p <pid>).
                Console.Error.WriteLine($"ingest: holding the idle grid for {holdSeconds} s (process {Environment.ProcessId})");
                await Task.Delay(TimeSpan.FromSeconds(holdSeconds), cancellationToken);
            }
            if (warmRecording)
            {
                Console.Error.WriteLine("ingest: a round with recording on to warm the recorder...");
                recorder!.Paused = false;
                await SendRoundAsync(router, ids, tagNames, ++sequence, cancellationToken);
                await router.FlushAsync(cancellationToken);
                await recorder.FlushAsync(cancellationToken);
                recorder.Paused = true;
            }
            // The figures of the recorder below are the measured phases' (the warm-up round's left out).
            long readingsBefore = recorder?.CommittedReadings ?? 0, commitsBefore = recorder?.Commits ?? 0;
            var writerCpuBefore = recorder?.WriterCpuTime ?? TimeSpan.Zero;
            var writerTimeBefore = recorder?.CommitTime ?? TimeSpan.Zero;

            Console.Error.WriteLine($"ingest: sending for {duration.TotalSeconds:F0} s...");
            var start = router.Statistics;
            var pauseBefore = GC.GetTotalPauseDuration();
            int gen0Before = GC.CollectionCount(0), gen1Before = GC.CollectionCount(1), gen2Before = GC.CollectionCount(2);
            sw.Restart();
            long sent = 0;
            // Without recording: one phase of the whole duration. With: blocks of off, on, on, off phases of one round
            // each, until twice the duration has passed. Four phases of a quarter each (the earlier layout) measured
            // overheads from -0.05 to 0.32 minutes apart: a checkpoint of the storage (seconds of its writer's time)
            // fell in one phase or another.
            // --phases on (or off, or a list such as off,on): those phases instead, each half the duration (a profile of
            // one mode: perf or dotnet-trace attached while "sending" runs).
            // --phase-rounds N: N rounds a phase in the blocks (default 1). An on phase ends with the recorder's last
            // commit while the grid waits (one core idle), which a steady stream overlaps: longer phases show how much
            // of the figure that end is.
            int phaseRounds = Math.Max(1, BenchArguments.IntValue(args, "--phase-rounds") ?? 1);
            bool blocks = recorder is not null && phasesArgument is null;
            bool[] phases = recorder is null ? [false] : phasesArgument ?? [false, true, true, false];
            var phaseDuration = recorder is null ? duration : blocks ? TimeSpan.Zero : duration / 2;
            double elapsedOff = 0, elapsedOn = 0, cpuOff = 0, cpuOn = 0, gcOff = 0, gcOn = 0;
            long appliedOff = 0, appliedOn = 0, allocatedOff = 0, allocatedOn = 0;
            int gen2Off = 0, gen2On = 0;
            var blockOverheads = new List<double>();
            int blocksRun = 0;
            using var process = Process.GetCurrentProcess();
            do
            {
                double blockOff = 0, blockOn = 0;
                long blockAppliedOff = 0, blockAppliedOn = 0;
                foreach (bool on in phases)
                {
                    if (recorder is not null) recorder.Paused = !on;
                    var threadsBefore = ThreadCpu.Snapshot();
                    var phase = Stopwatch.StartNew();
                    process.Refresh();
                    var cpuBefore = process.TotalProcessorTime;
                    var gcBefore = GC.GetTotalPauseDuration();
                    int gen2PhaseBefore = GC.CollectionCount(2);
                    long appliedBefore = router.Statistics.Applied;
                    long allocatedBefore = GC.GetTotalAllocatedBytes();
                    long checkpointsBefore = sqlite?.Checkpoints ?? 0;
                    int rounds = 0;
                    do
                    {
                        sent += await SendRoundAsync(router, ids, tagNames, ++sequence, cancellationToken);
                        Console.Error.WriteLine($"ingest: recording {(on ? "on " : "off")} {sw.Elapsed.TotalSeconds:F1} s, applied {router.Statistics.Applied - start.Applied:N0}");
                    }
                    while (phase.Elapsed < phaseDuration || (blocks && ++rounds < phaseRounds));
                    await router.FlushAsync(cancellationToken);
                    if (on) await recorder!.FlushAsync(cancellationToken);
                    long appliedPhase = router.Statistics.Applied - appliedBefore;
                    process.Refresh();
                    double cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds, gc = (GC.GetTotalPauseDuration() - gcBefore).TotalMilliseconds;
                    int gen2 = GC.CollectionCount(2) - gen2PhaseBefore;
                    long allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
                    if (recorder is not null)
                        Console.Error.WriteLine($"ingest: phase with recording {(on ? "on " : "off")}: {appliedPhase / phase.Elapsed.TotalSeconds:N0}/s over {phase.Elapsed.TotalSeconds:F2} s, CPU {cpu / appliedPhase * 1e6:F3} us/update ({ThreadCpu.PerUnit(threadsBefore, ThreadCpu.Snapshot(), appliedPhase)}), {gen2} gen2, {(sqlite?.Checkpoints ?? 0) - checkpointsBefore} storage checkpoints");
                    double seconds = phase.Elapsed.TotalSeconds;
                    if (on) { elapsedOn += seconds; appliedOn += appliedPhase; cpuOn += cpu; gcOn += gc; gen2On += gen2; allocatedOn += allocated; blockOn += seconds; blockAppliedOn += appliedPhase; }
                    else { elapsedOff += seconds; appliedOff += appliedPhase; cpuOff += cpu; gcOff += gc; gen2Off += gen2; allocatedOff += allocated; blockOff += seconds; blockAppliedOff += appliedPhase; }
                }
                blocksRun++;
                if (blockOff > 0 && blockOn > 0 && blockAppliedOn > 0)
                    blockOverheads.Add(blockAppliedOff / blockOff / (blockAppliedOn / blockOn) - 1);
            }
            // At least three blocks, so that the quick mode's figure has a spread to read it against.
            while (blocks && (sw.Elapsed < 2 * duration || blocksRun < 3));
            if (recorder is not null) recorder.Paused = true;
            var elapsed = sw.Elapsed.TotalSeconds;
            var gcPause = GC.GetTotalPauseDuration() - pauseBefore;
            Console.Error.WriteLine($"ingest: GC during the run: {GC.CollectionCount(0) - gen0Before} gen0, {GC.CollectionCount(1) - gen1Before} gen1, {GC.CollectionCount(2) - gen2Before} gen2 collections, paused {gcPause.TotalMilliseconds:F0} ms");
            var end = router.Statistics;
            long applied = end.Applied - start.Applied;
            var journalTime = sqlite?.JournalCommitTime ?? TimeSpan.Zero;
            var checkpointTime = sqlite?.CheckpointTime ?? TimeSpan.Zero;
            long journalBytes = sqlite?.JournalBytes ?? 0;
            int dirty = sqlite?.DirtyRecords ?? 0;
            long checkpointsDuringRun = sqlite?.Checkpoints ?? 0;
            var checkpointWatch = Stopwatch.StartNew();
            if (sqlite is not null) await sqlite.CheckpointAsync(cancellationToken);
            checkpointWatch.Stop();
            if (end.FailedCalls > 0) throw new InvalidOperationException($"{end.FailedCalls} ingest calls failed.");
            double perSecond = elapsedOff > 0 ? appliedOff / elapsedOff : 0;
            Console.Error.WriteLine($"ingest: {applied:N0} of {sent:N0} updates applied in {elapsed:F1} s over {end.Calls - start.Calls:N0} grain calls ({sqlite?.CommittedBatches ?? 0:N0} SQLite batches so far)");
            if (sqlite is not null)
                Console.Error.WriteLine($"ingest: write-behind at the end: {dirty:N0} records in the journal ({journalBytes / 1048576.0:F0} MiB), {checkpointsDuringRun} checkpoints so far; the final checkpoint took {checkpointWatch.Elapsed.TotalMilliseconds:F0} ms; writer busy since start: journal commits {journalTime.TotalSeconds:F1} s, checkpoints {checkpointTime.TotalSeconds:F1} s");
            var figures = new Dictionary<string, object>
            {
                ["tag_updates_per_s"] = Math.Round(perSecond),
                ["storage"] = memory ? "memory" : "sqlite",
                ["write_behind"] = !memory && !args.Contains("--no-write-behind"),
                ["twins"] = twins,
                ["tags_per_twin"] = TagsPerTwin,
                ["bytes_per_idle_twin"] = Math.Round(bytesPerTwin),
                ["grain_calls"] = end.Calls - start.Calls,
                ["gc_pause_ms"] = Math.Round(gcPause.TotalMilliseconds),
                ["write_behind_checkpoints"] = checkpointsDuringRun,
                ["final_checkpoint_ms"] = Math.Round(checkpointWatch.Elapsed.TotalMilliseconds),
                ["processors"] = Environment.ProcessorCount,
            };
            if (recorder is not null)
            {
                double perSecondOn = elapsedOn > 0 ? appliedOn / elapsedOn : 0;
                if (elapsedOff > 0) figures["cpu_us_per_update"] = Math.Round(cpuOff / appliedOff * 1e6, 3);
                if (elapsedOn > 0) figures["cpu_us_per_update_recording"] = Math.Round(cpuOn / appliedOn * 1e6, 3);
                figures["tag_updates_per_s_recording"] = Math.Round(perSecondOn);
                if (elapsedOff > 0 && elapsedOn > 0)
                {
                    figures["recording_overhead"] = Math.Round(perSecond / perSecondOn - 1, 3);
                    // The process's CPU time per update with over without, minus 1: what recording costs in CPU, which other
                    // processes on a busy machine disturb less than the rates (they take cores, not this process's work).
                    figures["recording_cpu_overhead"] = Math.Round(cpuOn / appliedOn / (cpuOff / appliedOff) - 1, 3);
                }
                if (blockOverheads.Count > 1)
                {
                    // How much the overhead moves from one block of four rounds to the next: the figure's noise.
                    blockOverheads.Sort();
                    figures["recording_overhead_blocks"] = blockOverheads.Count;
                    figures["recording_overhead_block_min"] = Math.Round(blockOverheads[0], 3);
                    figures["recording_overhead_block_median"] = Math.Round(blockOverheads[blockOverheads.Count / 2], 3);
                    figures["recording_overhead_block_max"] = Math.Round(blockOverheads[^1], 3);
                }
                // Bytes the process allocated per update (the grid's calls, and with recording the recorder's share too).
                if (appliedOff > 0) figures["allocated_bytes_per_update"] = Math.Round(allocatedOff / (double)appliedOff, 1);
                if (appliedOn > 0) figures["allocated_bytes_per_update_recording"] = Math.Round(allocatedOn / (double)appliedOn, 1);
                if (elapsedOff > 0) figures["gc_pause_ms_per_s"] = Math.Round(gcOff / elapsedOff);
                if (elapsedOn > 0) figures["gc_pause_ms_per_s_recording"] = Math.Round(gcOn / elapsedOn);
                // Full collections of the grid's heap during the phases without and with recording (a recorder that
                // allocates large objects while it runs brings them).
                figures["gen2_collections"] = gen2Off;
                figures["gen2_collections_recording"] = gen2On;
                if (recorder.WriterCpuTime is { } writerCpu) figures["recording_writer_cpu_s"] = Math.Round((writerCpu - writerCpuBefore).TotalSeconds, 2);
                figures["recording_warm"] = warmRecording;
                if (blocks) figures["recording_phase_rounds"] = phaseRounds;
                figures["recorded_readings"] = recorder.CommittedReadings - readingsBefore;
                figures["recording_dropped"] = recorder.Dropped;
                figures["recording_commits"] = recorder.Commits - commitsBefore;
                figures["recording_writer_s"] = Math.Round((recorder.CommitTime - writerTimeBefore).TotalSeconds, 1);
                Console.Error.WriteLine($"ingest: without recording {perSecond:N0}/s over {elapsedOff:F1} s, with {perSecondOn:N0}/s over {elapsedOn:F1} s; recorded {recorder.CommittedReadings - readingsBefore:N0} readings in {recorder.Commits - commitsBefore} commits ({(recorder.CommitTime - writerTimeBefore).TotalSeconds:F1} s writing), dropped {recorder.Dropped}");
            }
            if (BenchArguments.LoadAverage() is double load) figures["load_average"] = load;
            long committedReadings = recorder?.CommittedReadings ?? 0;
            string? recordingFile = recorder?.FilePath;
            await cluster.DisposeAsync();
            // After the recorder closed: its last connection's close moved the write-ahead log into the file, which
            // before held only what the last checkpoint had moved (12 to 21 bytes a reading for the same recording).
            if (recordingFile is not null)
                figures["recording_bytes_per_reading"] = committedReadings == 0 ? 0 : Math.Round(new FileInfo(recordingFile).Length / (double)committedReadings, 1);
            Console.WriteLine(JsonSerializer.Serialize(figures));
            return 0;
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The phases of <c>--phases</c> (a comma-separated list of on and off); null when missing or not such a list.</summary>
    private static bool[]? PhasesArgument(string[] args)
    {
        int i = Array.IndexOf(args, "--phases");
        if (i < 0 || i + 1 >= args.Length) return null;
        var names = args[i + 1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return names.Length > 0 && names.All(n => n is "on" or "off") ? [.. names.Select(n => n == "on")] : null;
    }

    /// <summary>One reading of every tag of every twin, handed to the router as a gateway would (one call per device message).</summary>
    private static async Task<long> SendRoundAsync(IPlantEventSink sink, string[] ids, string[] tags, long sequence, CancellationToken cancellationToken)
    {
        var timestamp = DateTimeOffset.UtcNow;
        var updates = new TagUpdate[tags.Length];
        foreach (var id in ids)
        {
            for (int t = 0; t < tags.Length; t++)
                updates[t] = new TagUpdate(tags[t], TagValue.FromDouble(sequence + t * 0.5), TagQuality.Good, timestamp, sequence);
            await sink.WriteTelemetryAsync(id, updates, cancellationToken);
        }
        return (long)ids.Length * tags.Length;
    }

    private static async Task ForEachTwinAsync(string[] ids, Func<string, Task> action, CancellationToken cancellationToken)
    {
        const int window = 2000;
        for (int start = 0; start < ids.Length; start += window)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.WhenAll(ids.Skip(start).Take(window).Select(action));
        }
    }
}
