using System.Globalization;
using System.Text;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Silo.Replay;

/// <summary>A replay against the original period: per twin, per organization (the grid's, with every twin below it
/// attached directly) and in total, alarms raised, commands issued and rejected, OEE and time outside a band.</summary>
/// <param name="From">Start of the period.</param>
/// <param name="To">End of the period (or where a stopped replay got to).</param>
/// <param name="Scope">"all", an organization id, or "twins".</param>
/// <param name="Changes">How many changes were tried.</param>
/// <param name="Total">Every twin together.</param>
/// <param name="Organizations">Per organization, by id.</param>
/// <param name="Twins">Per twin, by id.</param>
/// <param name="Seed">What the twins started from.</param>
public sealed record ReplayReport(DateTimeOffset From, DateTimeOffset To, string Scope, int Changes, Comparison Total,
    IReadOnlyList<OrganizationComparison> Organizations, IReadOnlyList<TwinComparison> Twins, ReplaySeedSummary Seed)
{
    /// <summary>Builds the report from each twin's two sides, the state each twin was seeded with
    /// (<paramref name="seeded"/>, by twin id) and the sandbox twins' state at the end (<paramref name="final"/>; null
    /// when the replay stopped before it).</summary>
    public static ReplayReport Build(ReplayPlan plan, DateTimeOffset to, Func<string, PeriodFigures> original, Func<string, PeriodFigures> replay,
        ReplaySeedSummary seed, IReadOnlyDictionary<string, TwinStateView>? seeded = null, IReadOnlyDictionary<string, TwinStateView>? final = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(replay);
        ArgumentNullException.ThrowIfNull(seed);
        var twins = plan.Twins.Select(t => new TwinComparison(t.TwinId, t.OrganizationId, original(t.TwinId), replay(t.TwinId),
            seeded?.GetValueOrDefault(t.TwinId), final?.GetValueOrDefault(t.TwinId))).ToList();
        var organizations = twins.Where(t => t.OrganizationId is not null).GroupBy(t => t.OrganizationId!, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new OrganizationComparison(g.Key, g.Count(), Sum(g.Select(t => t.Original)), Sum(g.Select(t => t.Replay))))
            .ToList();
        var total = new Comparison(Sum(twins.Select(t => t.Original)), Sum(twins.Select(t => t.Replay)));
        return new ReplayReport(plan.From, to, plan.Scope, plan.Changes.Count, total, organizations, twins, seed);
    }

    private static PeriodFigures Sum(IEnumerable<PeriodFigures> figures) => figures.Aggregate(PeriodFigures.Empty, (a, b) => a + b);

    /// <summary>The report as a text table: one row per organization then per twin, each figure as original -> replay.</summary>
    public string ToTable(int maxTwins = 1000)
    {
        var rows = new List<string[]> { new[] { "scope", "alarms", "commands", "rejected", "OEE", "outside band (s)" } };
        void Row(string name, PeriodFigures o, PeriodFigures r) => rows.Add([name,
            Pair(o.AlarmsRaised, r.AlarmsRaised), Pair(o.CommandsIssued, r.CommandsIssued), Pair(o.CommandsRejected, r.CommandsRejected),
            $"{o.Oee.ToString("P1", CultureInfo.InvariantCulture)} -> {r.Oee.ToString("P1", CultureInfo.InvariantCulture)}",
            $"{o.SecondsOutsideBand.ToString("0", CultureInfo.InvariantCulture)} -> {r.SecondsOutsideBand.ToString("0", CultureInfo.InvariantCulture)}"]);
        Row("total", Total.Original, Total.Replay);
        foreach (var o in Organizations) Row("org " + o.OrganizationId, o.Original, o.Replay);
        foreach (var t in Twins.Take(maxTwins)) Row("twin " + t.TwinId, t.Original, t.Replay);
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var b = new StringBuilder();
        b.Append(CultureInfo.InvariantCulture, $"Replay of {Scope} from {From:O} to {To:O}, {Changes} change(s): original -> replay\n");
        b.Append(Seed.Note).Append('\n');
        foreach (var r in rows)
            b.Append(string.Join("  ", r.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c])))).Append('\n');
        if (Twins.Count > maxTwins) b.Append(CultureInfo.InvariantCulture, $"({Twins.Count - maxTwins} more twins in the JSON report)\n");
        return b.ToString();
    }

    private static string Pair(long a, long b) => string.Create(CultureInfo.InvariantCulture, $"{a} -> {b}");
}

/// <summary>The two sides of a comparison.</summary>
/// <param name="Original">The original period, from the recording.</param>
/// <param name="Replay">The sandbox.</param>
public sealed record Comparison(PeriodFigures Original, PeriodFigures Replay);

/// <summary>A twin's two sides.</summary>
/// <param name="TwinId">The twin.</param>
/// <param name="OrganizationId">Its organization in the grid.</param>
/// <param name="Original">The original period.</param>
/// <param name="Replay">The sandbox.</param>
/// <param name="Seeded">The state the sandbox twin started from (tags seeded, alarms active then); null when nothing of it
/// was recorded before the start.</param>
/// <param name="Final">The sandbox twin at the end (its tags, alarms active then); null when the replay stopped before.</param>
public sealed record TwinComparison(string TwinId, string? OrganizationId, PeriodFigures Original, PeriodFigures Replay,
    TwinStateView? Seeded = null, TwinStateView? Final = null);

/// <summary>A sandbox twin's state at one instant, in short: how many tags hold a value, and the alarms active.</summary>
/// <param name="Tags">Tags with a value (at the start: tags seeded).</param>
/// <param name="Alarms">Alarms active, by tag.</param>
public sealed record TwinStateView(int Tags, IReadOnlyList<AlarmView> Alarms)
{
    /// <summary>A snapshot's view.</summary>
    public static TwinStateView Of(TwinSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var alarms = new List<AlarmView>();
        int tags = 0;
        foreach (var t in snapshot.Tags)
        {
            if (t.ReceivedTimestamp.UtcTicks != 0) tags++;
            if (t.Alarm != AlarmLevel.None) alarms.Add(new AlarmView(t.Name, t.Alarm, t.Value.TryGetNumber(out double v) ? v : null));
        }
        return new TwinStateView(tags, alarms);
    }
}

/// <summary>An active alarm: the tag, its level and the tag's value.</summary>
/// <param name="Tag">The tag.</param>
/// <param name="Level">The level.</param>
/// <param name="Value">The tag's value; null when not a number.</param>
public sealed record AlarmView(string Tag, AlarmLevel Level, double? Value);

/// <summary>What a replay's twins started from.</summary>
/// <param name="At">The replay's start: the twins' state is as recorded just before it.</param>
/// <param name="Twins">Twins seeded (something of them was recorded before the start).</param>
/// <param name="Tags">Tags seeded, over all twins.</param>
/// <param name="Alarms">Alarms active at the start in the sandbox (not counted as raised by the replay).</param>
/// <param name="Seconds">Wall time the seeding took (reading the recording and setting the twins).</param>
/// <param name="Note">The same in a sentence (says so when nothing was recorded before the start).</param>
/// <param name="Loops">Loops continuing from their output tag's value at the start.</param>
public sealed record ReplaySeedSummary(DateTimeOffset At, int Twins, int Tags, int Alarms, double Seconds, string Note, int Loops = 0)
{
    /// <summary>The summary of <paramref name="seeded"/> out of <paramref name="twins"/> twins, and <paramref name="loops"/> loops.</summary>
    public static ReplaySeedSummary Of(DateTimeOffset at, int twins, IReadOnlyDictionary<string, TwinStateView> seeded, TimeSpan took, int loops = 0)
    {
        ArgumentNullException.ThrowIfNull(seeded);
        int tags = seeded.Values.Sum(v => v.Tags), alarms = seeded.Values.Sum(v => v.Alarms.Count);
        var note = seeded.Count == 0
            ? string.Create(CultureInfo.InvariantCulture, $"Nothing was recorded before {at:O} for these twins: they started empty (nothing seeded).")
            : string.Create(CultureInfo.InvariantCulture, $"Seeded {seeded.Count} of {twins} twins with their state recorded before {at:O}: {tags} tags, {alarms} alarms active at the start, {loops} loops continuing from their output then.");
        return new ReplaySeedSummary(at, seeded.Count, tags, alarms, Math.Round(took.TotalSeconds, 3), note, loops);
    }

    /// <summary>No seeding (the replay stopped or failed before it).</summary>
    public static ReplaySeedSummary None(DateTimeOffset at) => new(at, 0, 0, 0, 0, "The twins were not seeded (the replay ended before).");
}

/// <summary>An organization's two sides: its twins summed (OEE from their summed times and parts).</summary>
/// <param name="OrganizationId">The organization.</param>
/// <param name="TwinCount">Its twins in the replay.</param>
/// <param name="Original">The original period.</param>
/// <param name="Replay">The sandbox.</param>
public sealed record OrganizationComparison(string OrganizationId, int TwinCount, PeriodFigures Original, PeriodFigures Replay);
