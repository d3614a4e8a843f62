using System.Globalization;

namespace Imv.Persistence.Recording;

/// <summary>Reads a thread's <c>stat</c> file of Linux's <c>/proc</c> (<c>/proc/thread-self/stat</c>,
/// <c>/proc/self/task/N/stat</c>): its name and the CPU time it used.</summary>
internal static class ThreadStat
{
    /// <summary>Clock ticks per second of the times in <c>stat</c> (USER_HZ: 100 on Linux).</summary>
    public const int ClockTicksPerSecond = 100;

    /// <summary>The thread's name and its CPU time (user and system) in clock ticks from the <c>stat</c> file at
    /// <paramref name="path"/>; false when there is none or it cannot be read (not Linux, a thread that ended).</summary>
    public static bool TryRead(string path, out string name, out long clockTicks)
    {
        name = "";
        clockTicks = 0;
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            var stat = File.ReadAllText(path);
            // The name is in parentheses and may hold spaces and parentheses: the fields follow the last ')'. State is
            // the first of them, utime and stime the 12th and 13th.
            int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
            name = stat[(open + 1)..close];
            var fields = stat[(close + 2)..].Split(' ');
            clockTicks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return false;
        }
    }
}
