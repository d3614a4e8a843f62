using System.CommandLine;
using System.Globalization;
using Imv.Client;
using Imv.Client.Access;
using Imv.Grains.Interfaces.Recording;
using Imv.Grains.Interfaces.Twins;
using Spectre.Console;

namespace Imv.Cli.Commands;

/// <summary>Time travel over the plant recording: <c>imv twins show &lt;twin&gt; --at &lt;time&gt;</c> and
/// <c>imv twins history &lt;twin&gt; --tag &lt;tag&gt; [--from] [--to] [--max-points]</c>.</summary>
internal static class TwinHistoryCommands
{
    private const string TimeHelp = "an ISO 8601 time (2026-12-06T14:03:00Z) or a time before now (-30s, -5m, -2h, -1d)";

    /// <summary><c>--at</c> of <c>imv twins show</c>.</summary>
    public static readonly Option<string?> At = new("--at") { Description = "Show the twin as it was then, from the plant recording: " + TimeHelp };

    private static readonly Option<string> Tag = new("--tag") { Description = "The tag", Required = true };
    private static readonly Option<string?> From = new("--from") { Description = "From (default: the start of the recording): " + TimeHelp };
    private static readonly Option<string?> To = new("--to") { Description = "To (default: the end of the recording): " + TimeHelp };
    private static readonly Option<int> MaxPoints = new("--max-points") { Description = "At most this many points (1 to 100000); more readings are downsampled (min, max, avg)", DefaultValueFactory = _ => 1000 };

    /// <summary><c>imv twins history</c>.</summary>
    public static Command History()
    {
        var command = new Command("history", "A tag's recorded values over a range (downsampled beyond --max-points)");
        command.Add(TwinCommands.TwinId);
        command.Add(Tag);
        command.Add(From);
        command.Add(To);
        command.Add(MaxPoints);
        command.SetAction((parse, ct) => CliAction.RunAsync(parse, ct, async (imv, json, token) =>
        {
            var id = parse.GetValue(TwinCommands.TwinId)!;
            var tag = parse.GetValue(Tag)!;
            var from = parse.GetValue(From) is { } f ? ParseTime("--from", f) : (DateTimeOffset?)null;
            var to = parse.GetValue(To) is { } t ? ParseTime("--to", t) : (DateTimeOffset?)null;
            var history = await AskAsync(() => imv.Twins.GetHistoryAsync(id, tag, from, to, parse.GetValue(MaxPoints), token));
            if (json)
            {
                CliAction.WriteJson(history);
                return ExitCodes.Ok;
            }
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(id)}[/] {Markup.Escape(tag)}: {history.Readings} readings from {Time(history.From)} to {Time(history.To)}"
                + (history.Downsampled ? $", downsampled to {history.Points.Count} buckets" : ""));
            var table = history.Downsampled ? new Table().AddColumns("from", "last", "min", "max", "avg", "readings") : new Table().AddColumns("source time", "value");
            foreach (var p in history.Points)
            {
                if (history.Downsampled)
                    table.AddRow(Time(p.Timestamp), Markup.Escape(p.Value.ToString()), Number(p.Min), Number(p.Max), Number(p.Avg), p.Count.ToString(CultureInfo.InvariantCulture));
                else
                    table.AddRow(Time(p.Timestamp), Markup.Escape(p.Value.ToString()));
            }
            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary><c>imv twins show &lt;twin&gt; --at &lt;time&gt;</c>.</summary>
    public static async Task<int> ShowAtAsync(ImvClient imv, string id, string atText, bool json, CancellationToken token)
    {
        var at = ParseTime("--at", atText);
        var twin = await AskAsync(() => imv.Twins.GetAtAsync(id, at, token));
        if (json)
        {
            CliAction.WriteJson(twin);
            return ExitCodes.Ok;
        }
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(twin.TwinId)}[/] as it was at {Time(twin.At)} (recorded from {Time(twin.RecordedFrom)} to {Time(twin.RecordedTo)}), {twin.Alarms.Count} alarm(s)");
        var table = new Table().AddColumns("tag", "value", "quality", "alarm", "source time");
        foreach (var t in twin.Tags)
            table.AddRow(Markup.Escape(t.Name), Markup.Escape(t.Value.ToString()), t.Quality.ToString(), t.Alarm == AlarmLevel.None ? "" : $"[red]{t.Alarm}[/]", Time(t.SourceTimestamp));
        AnsiConsole.Write(table);
        if (twin.Commands.Count > 0)
        {
            var commands = new Table().AddColumns("command", "what", "issuer", "status", "at");
            foreach (var c in twin.Commands)
                commands.AddRow(Markup.Escape(c.CommandId), Markup.Escape(c.Tag ?? c.Method + "()"), Markup.Escape(c.Issuer), c.Status.ToString(), Time(c.At));
            AnsiConsole.Write(commands);
        }
        return ExitCodes.Ok;
    }

    /// <summary>The recording's answer; its problem as the tool's error (2 for a wrong question, 1 otherwise).</summary>
    private static async Task<T> AskAsync<T>(Func<Task<T>> ask)
    {
        try
        {
            return await ask();
        }
        catch (HistoryUnavailableException e)
        {
            throw new CliException(e.Kind == HistoryProblemKind.BadQuestion ? ExitCodes.BadUsage : ExitCodes.Refused, e.Message);
        }
    }

    /// <summary>An ISO 8601 time, or a time before now written as a negative duration (-30s, -5m, -2h, -1d).</summary>
    internal static DateTimeOffset ParseTime(string option, string text)
    {
        var t = text.Trim();
        if (t.Length >= 3 && t[0] == '-' && "smhd".Contains(t[^1], StringComparison.Ordinal)
            && double.TryParse(t.AsSpan(1, t.Length - 2), NumberStyles.Float, CultureInfo.InvariantCulture, out double amount) && amount >= 0)
        {
            var span = t[^1] switch { 's' => TimeSpan.FromSeconds(amount), 'm' => TimeSpan.FromMinutes(amount), 'h' => TimeSpan.FromHours(amount), _ => TimeSpan.FromDays(amount) };
            return DateTimeOffset.UtcNow - span;
        }
        if (DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)) return time;
        throw new CliException(ExitCodes.BadUsage, $"{option} must be {TimeHelp} (was '{text}').");
    }

    private static string Time(DateTimeOffset t) => t == default ? "" : t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Number(double? n) => n is { } v ? v.ToString("0.###", CultureInfo.InvariantCulture) : "";
}
