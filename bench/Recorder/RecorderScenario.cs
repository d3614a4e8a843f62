using System.Diagnostics;
using System.Text.Json;
using Imv.Bench.Grid;
using Imv.Grains.Interfaces.Twins;
using Imv.Persistence.Recording;
using Imv.Persistence.Sqlite.Recording;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Bench.Recorder;

/// <summary>The SQLite recorder alone, without a grid: rounds of one reading of every tag of every twin (100,000 twins of
/// 20 tags by default) handed to it on one thread as twins hand them over, <c>--round-seconds</c> of plant time apart
/// (default 2, as the ingest bench's rounds: a recorded minute ends every 30 rounds and its rows are written), each slice of 16,384 twins flushed before the next so that the queue never overflows. Reports the
/// writer's CPU per reading (what recording costs the grid's cores on top of the twins' work, measured without the grid's
/// noise: <c>ingest --quick</c> measures the whole), the intake's time per reading on the twins' side, and the file's
/// bytes per reading. The first round (the per-twin state is made) is not measured.</summary>
public static class RecorderScenario
{
    private const int TagsPerTwin = 20;
    private const int Slice = 16_384;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        bool quick = args.Contains("--quick");
        int twins = BenchArguments.IntValue(args, "--twins") ?? 100_000;
        int rounds = BenchArguments.IntValue(args, "--rounds") ?? (quick ? 30 : 90);
        int roundSeconds = BenchArguments.IntValue(args, "--round-seconds") ?? 2;
        if (twins < 1 || rounds < 1 || roundSeconds < 1)
        {
            Console.Error.WriteLine("recorder: --twins, --rounds and --round-seconds need positive numbers");
            return 2;
        }
        var dir = Directory.CreateTempSubdirectory("imv-recorder-");
        try
        {
            var options = new RecordingOptions { Path = Path.Combine(dir.FullName, "bench.recording.db") };
            await using var recorder = new SqliteTwinRecorder(options, NullLogger<SqliteTwinRecorder>.Instance);
            var tagNames = Enumerable.Range(0, TagsPerTwin).Select(i => "tag" + i.ToString("00", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            var ids = Enumerable.Range(0, twins).Select(i => "bench.machine-" + i.ToString("000000", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            var updates = new TagUpdate[TagsPerTwin];
            // Plant time starts on a minute, as a recording's first minute would be a whole one only by chance.
            var start = new DateTimeOffset(DateTime.UtcNow.Ticks / TimeSpan.TicksPerMinute * TimeSpan.TicksPerMinute, TimeSpan.Zero);
            var intake = new Stopwatch();

            async Task RoundAsync(int round)
            {
                var at = start.AddSeconds(round * (double)roundSeconds);
                for (int first = 0; first < ids.Length; first += Slice)
                {
                    intake.Start();
                    for (int i = first; i < Math.Min(ids.Length, first + Slice); i++)
                    {
                        var now = at.AddTicks(i);   // twins report one after another, not at one instant
                        for (int t = 0; t < TagsPerTwin; t++)
                            updates[t] = new TagUpdate(tagNames[t], TagValue.FromDouble(round + i * 0.001 + t * 0.5), TagQuality.Good, now, round);
                        recorder.RecordReadings(ids[i], now, updates, default);
                    }
                    intake.Stop();
                    await recorder.FlushAsync(cancellationToken);
                }
            }

            Console.Error.WriteLine($"recorder: a first round of {twins:N0} twins of {TagsPerTwin} tags (not measured)...");
            await RoundAsync(0);
            intake.Reset();
            long readingsBefore = recorder.CommittedReadings, commitsBefore = recorder.Commits;
            var cpuBefore = recorder.WriterCpuTime ?? TimeSpan.Zero;
            var commitBefore = recorder.CommitTime;
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            int gen0Before = GC.CollectionCount(0), gen2Before = GC.CollectionCount(2);
            var sw = Stopwatch.StartNew();
            for (int round = 1; round <= rounds; round++)
            {
                await RoundAsync(round);
                if (round % 10 == 0 || round == rounds)
                    Console.Error.WriteLine($"recorder: round {round} of {rounds}, {sw.Elapsed.TotalSeconds:F1} s, writer CPU {((recorder.WriterCpuTime ?? TimeSpan.Zero) - cpuBefore).TotalSeconds:F1} s");
            }
            long readings = recorder.CommittedReadings - readingsBefore;
            // What the recorder allocates (the intake's and the writer's threads; the bench's own loop allocates nothing).
            double allocatedPerReading = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / (double)readings;
            int gen0 = GC.CollectionCount(0) - gen0Before, gen2 = GC.CollectionCount(2) - gen2Before;
            if (recorder.Dropped > 0) throw new InvalidOperationException($"The recorder dropped {recorder.Dropped} entries.");
            var figures = new Dictionary<string, object>
            {
                ["twins"] = twins,
                ["tags_per_twin"] = TagsPerTwin,
                ["rounds"] = rounds,
                ["round_seconds"] = roundSeconds,
                ["readings"] = readings,
                ["commits"] = recorder.Commits - commitsBefore,
                ["intake_us_per_reading"] = Math.Round(intake.Elapsed.TotalSeconds / readings * 1e6, 4),
                ["writer_busy_us_per_reading"] = Math.Round((recorder.CommitTime - commitBefore).TotalSeconds / readings * 1e6, 4),
                ["allocated_bytes_per_reading"] = Math.Round(allocatedPerReading, 3),
                ["gen0_collections"] = gen0,
                ["gen2_collections"] = gen2,
                ["bytes_per_reading"] = Math.Round(new FileInfo(recorder.FilePath).Length / (double)recorder.CommittedReadings, 1),
                ["processors"] = Environment.ProcessorCount,
            };
            if (recorder.WriterCpuTime is { } cpu) figures["writer_cpu_us_per_reading"] = Math.Round((cpu - cpuBefore).TotalSeconds / readings * 1e6, 4);
            else Console.Error.WriteLine("recorder: the writer's CPU time is read from /proc (Linux only); writer_cpu_us_per_reading is left out");
            if (BenchArguments.LoadAverage() is double load) figures["load_average"] = load;
            await recorder.DisposeAsync();
            Console.WriteLine(JsonSerializer.Serialize(figures));
            return 0;
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { }
        }
    }
}
