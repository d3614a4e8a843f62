using System.Text.RegularExpressions;

namespace Imv.Silo.Tests.Support;

/// <summary>Client sessions as a mosquitto log tells them (<c>log_type notice</c>): who connected and disconnected, in
/// order, so a test can count how many connections with one client id were open at once.</summary>
public static partial class BrokerSessions
{
    /// <summary>One connection of <paramref name="ClientId"/> opened (<paramref name="Opened"/>) or closed, with the broker's
    /// time stamp (seconds) and the client's address.</summary>
    public sealed record Event(long At, string ClientId, bool Opened, string? From, string Line);

    [GeneratedRegex(@"^(\d+): New client connected from (\S+) as (\S+) ")]
    private static partial Regex Connected();

    [GeneratedRegex(@"^(\d+): (?:Client (\S+) (?:closed its connection|disconnected|has exceeded timeout, disconnecting|already connected, closing old connection)|Socket error on client (\S+), disconnecting)")]
    private static partial Regex Disconnected();

    /// <summary>The connection events of the log at <paramref name="logPath"/>, oldest first.</summary>
    public static IReadOnlyList<Event> Read(string logPath)
    {
        var events = new List<Event>();
        if (!File.Exists(logPath)) return events;
        using var stream = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (Connected().Match(line) is { Success: true } c)
                events.Add(new Event(long.Parse(c.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), c.Groups[3].Value.TrimEnd('.'), true, c.Groups[2].Value, line));
            else if (Disconnected().Match(line) is { Success: true } d)
                events.Add(new Event(long.Parse(d.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), (d.Groups[2].Success ? d.Groups[2].Value : d.Groups[3].Value).TrimEnd(','), false, null, line));
        }
        return events;
    }

    /// <summary>The most connections of <paramref name="clientId"/> open at once over <paramref name="events"/>, the number
    /// open at the end, and how many times the broker closed an old connection because the id connected again (a
    /// second holder taking the session over).</summary>
    public static (int MostAtOnce, int OpenAtEnd, int TakenOver) Count(IReadOnlyList<Event> events, string clientId)
    {
        ArgumentNullException.ThrowIfNull(events);
        int open = 0, most = 0, takenOver = 0;
        foreach (var e in events.Where(e => e.ClientId == clientId))
        {
            if (e.Opened) most = Math.Max(most, ++open);
            else
            {
                open = Math.Max(0, open - 1);
                if (e.Line.Contains("already connected", StringComparison.Ordinal)) takenOver++;
            }
        }
        return (most, open, takenOver);
    }
}
