using System.Diagnostics;
using System.Threading.Channels;
using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Twins;
using Imv.Persistence.Recording;

namespace Imv.Silo.Replay;

/// <summary>Feeds a recording into a sandbox grid, deterministically. Twins linked by a loop (measured and output twin)
/// form a lane; a lane's entries go in recorded order, one call at a time, each carrying its recorded instant
/// (<see cref="ReplayClock"/>); its loops are stepped by recorded time (every sample period from the first reading of the
/// measured twin, before the first entry at or after the step; triggered loops after each reading of their measured twin),
/// never by timers. Lanes share nothing, so they run in parallel and the outcome does not depend on how they interleave.
/// The recording is read in windows of recorded time by one reader, a window ahead of the lanes; the lanes decode their
/// rows (in parallel) and count them on the original period's side. As fast as possible, a twin no loop touches gets a
/// window's entries in one call (<see cref="IMachineGrain.IngestTimedAsync"/>).</summary>
public sealed class ReplayDriver
{
    /// <summary>The recorded time a window spans at most as fast as possible; paced, a window spans one real second at
    /// most (progress moves every second).</summary>
    public static readonly TimeSpan WindowLength = TimeSpan.FromSeconds(10);
    private const int WindowEntries = 50_000;
    private const int LaneParallelism = 256;

    private readonly ReplayPlan _plan;
    private readonly IReplayRecording _recording;
    private readonly ReplayProgress _progress;
    private readonly Lane[] _lanes;
    private readonly Dictionary<string, int> _laneOf = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PeriodAccumulator> _original = new(StringComparer.Ordinal);
    // Grain references made once: GetGrain builds a proxy each time (reflection on the interface), which showed as a
    // tenth of a replay's samples when made per entry.
    private readonly Dictionary<string, IMachineGrain> _twins = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IControlLoopGrain> _loops = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, SeededTag[]> _seeds = new Dictionary<string, SeededTag[]>();

    /// <summary>A driver of <paramref name="plan"/> from <paramref name="recording"/> into the sandbox's <paramref name="grains"/>.</summary>
    public ReplayDriver(ReplayPlan plan, IReplayRecording recording, IGrainFactory grains, ReplayProgress progress)
    {
        ArgumentNullException.ThrowIfNull(plan);
        _plan = plan;
        _recording = recording ?? throw new ArgumentNullException(nameof(recording));
        ArgumentNullException.ThrowIfNull(grains);
        _progress = progress ?? throw new ArgumentNullException(nameof(progress));
        _lanes = BuildLanes(plan, _laneOf);
        foreach (var t in plan.Twins)
        {
            _original[t.TwinId] = new PeriodAccumulator(plan.From, t.Original.EffectiveAlarmBands, t.Original.EffectiveStatus);
            _twins[t.TwinId] = grains.GetGrain<IMachineGrain>(t.TwinId);
        }
        foreach (var l in plan.Loops) _loops[l.LoopId] = grains.GetGrain<IControlLoopGrain>(l.LoopId);
        _progress.Reached(plan.From);
    }

    /// <summary>The original period's figures of a twin up to <paramref name="to"/> (complete once <see cref="RunAsync"/> finished).</summary>
    public PeriodFigures Original(string twinId, DateTimeOffset to) => _original.TryGetValue(twinId, out var a) ? a.Figures(twinId, to) : PeriodFigures.Empty;

    /// <summary>Configures the sandbox's twins and loops (loops are configured, never enabled: the driver steps them).</summary>
    public async Task ConfigureAsync(CancellationToken cancellationToken)
    {
        await Parallel.ForEachAsync(_plan.Twins, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancellationToken }, async (t, _) =>
            await ReplayClock.AtAsync(_plan.From, () => _twins[t.TwinId].ConfigureAsync(t.Sandbox)).ConfigureAwait(false)).ConfigureAwait(false);
        await Parallel.ForEachAsync(_plan.Loops, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancellationToken }, async (l, _) =>
            await ReplayClock.AtAsync(_plan.From, () => _loops[l.LoopId].ConfigureAsync(l.Configuration)).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>Sets each twin's state at the start (<see cref="ReplaySeeder"/>) before the feed: the sandbox twin
    /// (<see cref="IMachineGrain.SeedAsync"/>, at the start's instant), both sides' figures (the original with the grid's
    /// bands, the sandbox's with its own), and the loops of a seeded measured twin are armed at the start (first step one
    /// sample period after it) and continue from their output twin's output tag then. Returns the seeded twins' views (tags, alarms active at the start), by twin id.</summary>
    public async Task<IReadOnlyDictionary<string, TwinStateView>> SeedAsync(IReadOnlyDictionary<string, SeededTag[]> seeds, SandboxOutputs outputs,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        ArgumentNullException.ThrowIfNull(outputs);
        _seeds = seeds;
        var views = new TwinStateView[_plan.Twins.Count];
        await Parallel.ForAsync(0, _plan.Twins.Count, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancellationToken }, async (i, _) =>
        {
            var twinId = _plan.Twins[i].TwinId;
            if (!seeds.TryGetValue(twinId, out var tags)) return;
            var seed = new TwinSeed(_plan.From, tags);
            int seeded = await ReplayClock.AtAsync(_plan.From, () => _twins[twinId].SeedAsync(seed)).ConfigureAwait(false);
            _original[twinId].Seed(tags);
            outputs.Seed(twinId, tags);
            views[i] = new TwinStateView(seeded, [.. outputs.ActiveAlarms(twinId).Select(a => new AlarmView(a.Tag, a.Level, ValueOf(tags, a.Tag)))]);
        }).ConfigureAwait(false);
        foreach (var lane in _lanes)
            for (int l = 0; l < lane.Loops.Length; l++)
                if (seeds.ContainsKey(lane.Loops[l].Configuration.MeasuredTwinId))
                    lane.NextDue[l] = (_plan.From + lane.Loops[l].Configuration.SamplePeriod).UtcTicks;
        // A loop continues from the output its twin held at the start (the read-back of its last command): its last output,
        // and a PID's integral restarted bumplessly from it (the recording holds no loop memory).
        int loops = 0;
        foreach (var loop in _plan.Loops)
        {
            var c = loop.Configuration;
            if (!seeds.TryGetValue(c.OutputTwinId, out var tags) || ValueOf(tags, c.OutputTag) is not { } output || !double.IsFinite(output)) continue;
            await ReplayClock.AtAsync(_plan.From, () => _loops[loop.LoopId].SeedAsync(output)).ConfigureAwait(false);
            loops++;
        }
        SeededLoops = loops;
        var result = new Dictionary<string, TwinStateView>(StringComparer.Ordinal);
        for (int i = 0; i < views.Length; i++) if (views[i] is { } v) result[_plan.Twins[i].TwinId] = v;
        return result;
    }

    private static double? ValueOf(SeededTag[] tags, string tag)
    {
        foreach (var t in tags)
            if (string.Equals(t.Reading.Tag, tag, StringComparison.Ordinal) && t.Reading.Value.TryGetNumber(out double v)) return v;
        return null;
    }

    /// <summary>Loops seeded by <see cref="SeedAsync"/> (their output twin's output tag had a value at the start).</summary>
    public int SeededLoops { get; private set; }

    /// <summary>Feeds the whole range; on cancellation stops between entries (<see cref="ReplayProgress.ReplayedUntil"/>
    /// says up to where everything was fed) and throws <see cref="OperationCanceledException"/>.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var windows = Channel.CreateBounded<Window>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reader = Task.Run(() => ReadAsync(windows.Writer, stop.Token), stop.Token);
        var clock = Stopwatch.StartNew();
        try
        {
            await foreach (var window in windows.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                await Parallel.ForEachAsync(window.Lanes, new ParallelOptions { MaxDegreeOfParallelism = LaneParallelism, CancellationToken = stop.Token },
                    async (pair, ct) => await RunLaneAsync(_lanes[pair.Key], pair.Value, clock, ct).ConfigureAwait(false)).ConfigureAwait(false);
                _progress.Reached(window.End);
            }
            await reader.ConfigureAwait(false);
            // The loops' steps due after the last entry, up to the end of the range.
            await Parallel.ForEachAsync(_lanes.Where(l => l.Loops.Length > 0), new ParallelOptions { MaxDegreeOfParallelism = LaneParallelism, CancellationToken = stop.Token },
                async (lane, ct) => await StepLoopsAsync(lane, _plan.To, inclusive: false, ct).ConfigureAwait(false)).ConfigureAwait(false);
            _progress.Reached(_plan.To);
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try { await reader.ConfigureAwait(false); }
            catch (OperationCanceledException) { }
            catch (ChannelClosedException) { }
            throw;
        }
    }

    /// <summary>The seeds and final states folded into the replay's hash; the sandbox twins' alarms active at the end,
    /// by twin id, into <paramref name="final"/> when given.</summary>
    public async Task<string> HashAsync(SandboxOutputs outputs, CancellationToken cancellationToken, Dictionary<string, TwinStateView>? final = null)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var twins = new (TwinSnapshot, IReadOnlyList<AlarmEvent>)[_plan.Twins.Count];
        await Parallel.ForAsync(0, twins.Length, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancellationToken }, async (i, _) =>
        {
            var twin = _twins[_plan.Twins[i].TwinId];
            twins[i] = await ReplayClock.AtAsync(_plan.To, async () => (await twin.GetSnapshotAsync().ConfigureAwait(false), await twin.GetAlarmHistoryAsync().ConfigureAwait(false))).ConfigureAwait(false);
        }).ConfigureAwait(false);
        var loops = new ControlLoopStatus[_plan.Loops.Count];
        await Parallel.ForAsync(0, loops.Length, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancellationToken }, async (i, _) =>
            loops[i] = await ReplayClock.AtAsync(_plan.To, () => _loops[_plan.Loops[i].LoopId].GetStatusAsync()).ConfigureAwait(false)).ConfigureAwait(false);
        var hash = new ReplayHash();
        foreach (var t in _plan.Twins) if (_seeds.TryGetValue(t.TwinId, out var seed)) hash.AddSeed(t.TwinId, seed);
        for (int i = 0; i < twins.Length; i++)
        {
            hash.AddTwin(twins[i].Item1, twins[i].Item2, outputs.Commands(_plan.Twins[i].TwinId));
            if (final is not null) final[_plan.Twins[i].TwinId] = TwinStateView.Of(twins[i].Item1);
        }
        foreach (var loop in loops) hash.AddLoop(loop);
        return hash.Finish();
    }

    private async Task ReadAsync(ChannelWriter<Window> writer, CancellationToken cancellationToken)
    {
        try
        {
            var length = _plan.Speed is { } speed ? TimeSpan.FromTicks(Math.Clamp((long)(TimeSpan.TicksPerSecond * speed), TimeSpan.TicksPerMillisecond * 100, WindowLength.Ticks)) : WindowLength;
            var end = _plan.From + length;
            var lanes = new Dictionary<int, List<RecordedRow>>();
            int count = 0;
            foreach (var row in _recording.ReadRows(_plan.From, _plan.To, _laneOf.ContainsKey, cancellationToken))
            {
                if (row.AtTicks >= end.UtcTicks || count >= WindowEntries)
                {
                    var windowEnd = row.AtTicks >= end.UtcTicks ? Min(end, _plan.To) : row.At;
                    await writer.WriteAsync(new Window(windowEnd, lanes), cancellationToken).ConfigureAwait(false);
                    lanes = [];
                    count = 0;
                    while (row.AtTicks >= end.UtcTicks) end += length;
                }
                // Decoding, and the original period's figures, are the lanes' work (in parallel): this thread only reads.
                int lane = _laneOf[row.TwinId];
                if (!lanes.TryGetValue(lane, out var list)) lanes[lane] = list = [];
                list.Add(row);
                count++;
            }
            if (lanes.Count > 0) await writer.WriteAsync(new Window(_plan.To, lanes), cancellationToken).ConfigureAwait(false);
            writer.TryComplete();
        }
        catch (Exception ex)
        {
            writer.TryComplete(ex);
            throw;
        }
    }

    private async Task RunLaneAsync(Lane lane, List<RecordedRow> rows, Stopwatch clock, CancellationToken cancellationToken)
    {
        var entries = Decode(rows);
        // A twin no loop reads nor commands, fed as fast as possible: the window's entries in one call, each applied at
        // its own instant (IngestTimedAsync), the same outcome as one call per entry for a fraction of the calls.
        if (lane.Loops.Length == 0 && _plan.Speed is null)
        {
            await FeedTimedAsync(entries, cancellationToken).ConfigureAwait(false);
            return;
        }
        foreach (var e in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await StepLoopsAsync(lane, e.At, inclusive: true, cancellationToken).ConfigureAwait(false);
            await PaceAsync(e.At, clock, cancellationToken).ConfigureAwait(false);
            // The original's commands are not issued again: their effects arrive with the recorded readings, and the
            // sandbox's own commands are its outputs.
            if (e.Command is not null || e.Readings.Count == 0) { _progress.Fed(1, 0); continue; }
            var batch = new TagBatch(AsArray(e.Readings));
            var twin = _twins[e.TwinId];
            await ReplayClock.AtAsync(e.At, () => twin.IngestAsync(batch).AsTask()).ConfigureAwait(false);
            _progress.Fed(1, batch.Updates.Length);
            for (int i = 0; i < lane.Loops.Length; i++)
            {
                var loop = lane.Loops[i];
                if (!string.Equals(loop.Configuration.MeasuredTwinId, e.TwinId, StringComparison.Ordinal)) continue;
                // The first reading of the measured twin arms the loop: its first step one sample period later.
                if (lane.NextDue[i] == 0) lane.NextDue[i] = (e.At + loop.Configuration.SamplePeriod).UtcTicks;
                if (loop.Triggered) await StepAsync(loop, e.At).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Decodes a lane's rows of a window, in order, and counts them on the original period's side (with the grid's
    /// bands): a twin's rows are all in its lane, so its accumulator is only ever touched by one lane at a time.</summary>
    private List<RecordedEntry> Decode(List<RecordedRow> rows)
    {
        var entries = new List<RecordedEntry>(rows.Count);
        foreach (var row in rows)
        {
            var entry = _recording.Decode(row);
            var original = _original[entry.TwinId];
            if (entry.Command is { } c) original.Command(c.CommandId, c.Status);
            else original.Add(entry.At, AsArray(entry.Readings));
            entries.Add(entry);
        }
        return entries;
    }

    /// <summary>Feeds <paramref name="entries"/> (in recorded order) one call per run of entries of the same twin.</summary>
    private async Task FeedTimedAsync(List<RecordedEntry> entries, CancellationToken cancellationToken)
    {
        int start = 0;
        while (start < entries.Count)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var twinId = entries[start].TwinId;
            int end = start;
            while (end < entries.Count && string.Equals(entries[end].TwinId, twinId, StringComparison.Ordinal)) end++;
            var timed = new List<TimedReadings>(end - start);
            long readings = 0;
            // The original's commands are not issued again (as in RunLaneAsync).
            for (int i = start; i < end; i++)
                if (entries[i].Command is null && entries[i].Readings.Count > 0)
                {
                    var updates = AsArray(entries[i].Readings);
                    timed.Add(new TimedReadings(entries[i].At, updates));
                    readings += updates.Length;
                }
            if (timed.Count > 0)
            {
                var twin = _twins[twinId];
                var batch = new TimedBatch([.. timed]);
                await ReplayClock.AtAsync(timed[^1].At, () => twin.IngestTimedAsync(batch).AsTask()).ConfigureAwait(false);
            }
            _progress.Fed(end - start, readings);
            start = end;
        }
    }

    /// <summary>Runs every loop step of <paramref name="lane"/> due before <paramref name="until"/> (or at it when
    /// <paramref name="inclusive"/>), earliest first, loops by id on ties.</summary>
    private async Task StepLoopsAsync(Lane lane, DateTimeOffset until, bool inclusive, CancellationToken cancellationToken)
    {
        long limit = until.UtcTicks;
        while (true)
        {
            int next = -1;
            for (int i = 0; i < lane.Loops.Length; i++)
            {
                long due = lane.NextDue[i];
                if (due == 0 || due > limit || (!inclusive && due == limit)) continue;
                if (next < 0 || due < lane.NextDue[next]) next = i;
            }
            if (next < 0) return;
            cancellationToken.ThrowIfCancellationRequested();
            var at = new DateTimeOffset(lane.NextDue[next], TimeSpan.Zero);
            await StepAsync(lane.Loops[next], at).ConfigureAwait(false);
            lane.NextDue[next] += lane.Loops[next].Configuration.SamplePeriod.Ticks;
        }
    }

    private async Task StepAsync(ReplayLoop loop, DateTimeOffset at)
    {
        await ReplayClock.AtAsync(at, () => _loops[loop.LoopId].RunOnceAsync()).ConfigureAwait(false);
        _progress.Stepped();
    }

    /// <summary>At a paced speed, waits until the wall clock reaches the entry's recorded instant (scaled).</summary>
    private Task PaceAsync(DateTimeOffset at, Stopwatch clock, CancellationToken cancellationToken)
    {
        if (_plan.Speed is not { } speed) return Task.CompletedTask;
        var due = TimeSpan.FromTicks((long)((at - _plan.From).Ticks / speed)) - clock.Elapsed;
        return due > TimeSpan.FromMilliseconds(1) ? Task.Delay(due, cancellationToken) : Task.CompletedTask;
    }

    private static TagUpdate[] AsArray(IReadOnlyList<TagUpdate> readings) => readings as TagUpdate[] ?? [.. readings];

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>Twins linked by a loop share a lane (union-find over loops' measured and output twins); lanes ordered by
    /// their first twin, loops by id.</summary>
    private static Lane[] BuildLanes(ReplayPlan plan, Dictionary<string, int> laneOf)
    {
        var parent = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var t in plan.Twins) parent[t.TwinId] = t.TwinId;
        string Find(string x) { while (parent[x] != x) x = parent[x] = parent[parent[x]]; return x; }
        foreach (var l in plan.Loops)
        {
            string a = Find(l.Configuration.MeasuredTwinId), b = Find(l.Configuration.OutputTwinId);
            if (a != b) parent[string.CompareOrdinal(a, b) < 0 ? b : a] = string.CompareOrdinal(a, b) < 0 ? a : b;
        }
        var roots = new Dictionary<string, int>(StringComparer.Ordinal);
        var loopsOf = new List<List<ReplayLoop>>();
        foreach (var t in plan.Twins)
        {
            var root = Find(t.TwinId);
            if (!roots.TryGetValue(root, out int lane)) { roots[root] = lane = loopsOf.Count; loopsOf.Add([]); }
            laneOf[t.TwinId] = lane;
        }
        foreach (var l in plan.Loops) loopsOf[laneOf[l.Configuration.MeasuredTwinId]].Add(l);
        return [.. loopsOf.Select(l => new Lane([.. l.OrderBy(x => x.LoopId, StringComparer.Ordinal)]))];
    }

    private sealed class Lane(ReplayLoop[] loops)
    {
        public ReplayLoop[] Loops { get; } = loops;
        public long[] NextDue { get; } = new long[loops.Length];
    }

    private sealed record Window(DateTimeOffset End, Dictionary<int, List<RecordedRow>> Lanes);
}
