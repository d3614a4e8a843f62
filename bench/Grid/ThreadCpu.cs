using System.Globalization;
using Imv.Persistence.Recording;

namespace Imv.Bench.Grid;

/// <summary>CPU time of this process's threads grouped by name (<c>/proc/self/task/*/stat</c>, Linux): how a phase's
/// CPU splits between the grid's pool threads, the GC, the storage's and the recorder's writers. Empty elsewhere.</summary>
internal static class ThreadCpu
{
    /// <summary>Seconds of CPU (user and system) per thread group, a group being the thread's name without its trailing
    /// number (".NET TP Worker", ".NET Server GC", "imv-recording-writer"...).</summary>
    public static Dictionary<string, double> Snapshot()
    {
        var groups = new Dictionary<string, double>(StringComparer.Ordinal);
        if (!OperatingSystem.IsLinux()) return groups;
        string[] tasks;
        try { tasks = Directory.GetDirectories("/proc/self/task"); }
        catch (IOException) { return groups; }
        foreach (var task in tasks)
        {
            // A thread that ended since the listing is left out.
            if (!ThreadStat.TryRead(Path.Combine(task, "stat"), out var name, out long clockTicks)) continue;
            var group = name.TrimEnd("0123456789 ".ToCharArray());
            groups[group] = groups.GetValueOrDefault(group) + clockTicks / (double)ThreadStat.ClockTicksPerSecond;
        }
        return groups;
    }

    /// <summary>The groups' CPU between two snapshots in microseconds per <paramref name="per"/> (threads that ended in
    /// between are missing from the later one and left out), largest first, as "name 0.123".</summary>
    public static string PerUnit(Dictionary<string, double> before, Dictionary<string, double> after, long per) =>
        per <= 0 ? "" : string.Join(", ", after
            .Select(a => (a.Key, Us: (a.Value - before.GetValueOrDefault(a.Key)) / per * 1e6))
            .Where(g => g.Us >= 0.0005)
            .OrderByDescending(g => g.Us)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} {g.Us:F3}")));
}
