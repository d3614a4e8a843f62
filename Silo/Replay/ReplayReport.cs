using System.Globalization;
using System.Text;

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
public sealed record ReplayReport(DateTimeOffset From, DateTimeOffset To, string Scope, int Changes, Comparison Total,
    IReadOnlyList<OrganizationComparison> Organizations, IReadOnlyList<TwinComparison> Twins)
{
    /// <summary>Builds the report from each twin's two sides.</summary>
    public static ReplayReport Build(ReplayPlan plan, DateTimeOffset to, Func<string, PeriodFigures> original, Func<string, PeriodFigures> replay)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(replay);
        var twins = plan.Twins.Select(t => new TwinComparison(t.TwinId, t.OrganizationId, original(t.TwinId), replay(t.TwinId))).ToList();
        var organizations = twins.Where(t => t.OrganizationId is not null).GroupBy(t => t.OrganizationId!, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new OrganizationComparison(g.Key, g.Count(), Sum(g.Select(t => t.Original)), Sum(g.Select(t => t.Replay))))
            .ToList();
        var total = new Comparison(Sum(twins.Select(t => t.Original)), Sum(twins.Select(t => t.Replay)));
        return new ReplayReport(plan.From, to, plan.Scope, plan.Changes.Count, total, organizations, twins);
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
public sealed record TwinComparison(string TwinId, string? OrganizationId, PeriodFigures Original, PeriodFigures Replay);

/// <summary>An organization's two sides: its twins summed (OEE from their summed times and parts).</summary>
/// <param name="OrganizationId">The organization.</param>
/// <param name="TwinCount">Its twins in the replay.</param>
/// <param name="Original">The original period.</param>
/// <param name="Replay">The sandbox.</param>
public sealed record OrganizationComparison(string OrganizationId, int TwinCount, PeriodFigures Original, PeriodFigures Replay);
