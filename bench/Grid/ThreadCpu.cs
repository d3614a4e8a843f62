using System.Globalization;

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
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
                var name = stat[(open + 1)..close].TrimEnd("0123456789 ".ToCharArray());
                // After the name: state is the first field; utime and stime the 12th and 13th (clock ticks of 1/100 s).
                var fields = stat[(close + 2)..].Split(' ');
                double seconds = (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
                groups[name] = groups.GetValueOrDefault(name) + seconds;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException) { }
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
