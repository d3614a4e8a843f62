namespace Imv.Bench.Grid;

/// <summary>What the scenarios read from their command line and from the machine they run on.</summary>
internal static class BenchArguments
{
    /// <summary>The integer after <paramref name="name"/> (<c>--twins 1000</c>); null when absent or not a number.</summary>
    public static int? IntValue(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    /// <summary>The word after <paramref name="name"/> (<c>--recording postgres</c>); null when absent.</summary>
    public static string? Value(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>The 1-minute load average (Linux), so a figure says how busy the machine was; null elsewhere.</summary>
    public static double? LoadAverage()
    {
        try { return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return null; }
    }
}
