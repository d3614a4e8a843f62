using System.CommandLine;
using System.Globalization;
using Imv.Client.Watching;
using Imv.Grains.Interfaces.Twins;
using Spectre.Console;

namespace Imv.Cli.Commands;

/// <summary><c>imv twins list|show|watch</c> (and <c>history</c>, <c>show --at</c>: <see cref="TwinHistoryCommands"/>).</summary>
internal static class TwinCommands
{
    public static Command Create()
    {
        var twins = new Command("twins", "Machine twins: list, show, watch live");
        twins.Add(List());
        twins.Add(Show());
        twins.Add(Watch());
        twins.Add(TwinHistoryCommands.History());
        return twins;
    }

    internal static readonly Option<string?> Org = new("--org") { Description = "The organization to start from (default: the root, Client:RootOrganization)" };

    private static Command List()
    {
        var command = new Command("list", "Every machine below an organization with its state and alarm count");
        command.Add(Org);
        command.SetAction((parse, ct) => CliAction.RunAsync(parse, ct, async (imv, json, token) =>
        {
            var org = parse.GetValue(Org);
            if (org is not null && await imv.Organizations.GetAsync(org, token) is null) throw new CliException(ExitCodes.Refused, $"No organization '{org}'.");
            var statuses = await imv.Twins.ListStatusesAsync(org, token);
            if (json)
            {
                CliAction.WriteJson(statuses.Select(s => new { twinId = s.MachineId, state = s.State, activeAlarms = s.ActiveAlarms, reportedAt = s.ReportedAt }));
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("twin", "state", "alarms", "reported");
            foreach (var s in statuses)
                table.AddRow(Markup.Escape(s.MachineId), s.State.ToString(), s.ActiveAlarms.ToString(CultureInfo.InvariantCulture), s.ReportedAt.ToString("u", CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
            AnsiConsole.WriteLine($"{statuses.Count} twins");
            return ExitCodes.Ok;
        }));
        return command;
    }

    internal static readonly Argument<string> TwinId = new("twin") { Description = "The twin's id" };

    private static Command Show()
    {
        var command = new Command("show", "A twin: its tags, quality, alarms and status (now, or --at a past time from the recording)");
        command.Add(TwinId);
        command.Add(TwinHistoryCommands.At);
        command.SetAction((parse, ct) => CliAction.RunAsync(parse, ct, async (imv, json, token) =>
        {
            var id = parse.GetValue(TwinId)!;
            if (parse.GetValue(TwinHistoryCommands.At) is { } at) return await TwinHistoryCommands.ShowAtAsync(imv, id, at, json, token);
            var twin = await imv.Twins.GetAsync(id, token) ?? throw new CliException(ExitCodes.Refused, $"No twin '{id}'.");
            var alarms = await imv.Twins.GetActiveAlarmsAsync(id, token);
            if (json)
            {
                CliAction.WriteJson(new { twin.TwinId, twin.Kind, twin.Coupling, twin.Connectivity, twin.Status, twin.LastUpdate, tags = twin.Tags, activeAlarms = alarms });
                return ExitCodes.Ok;
            }
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(twin.TwinId)}[/] {twin.Kind}, {twin.Coupling}, {twin.Connectivity}, {twin.Status.State}, {twin.Status.ActiveAlarms} alarm(s)");
            var table = new Table().AddColumns("tag", "value", "quality", "alarm", "source time");
            foreach (var t in twin.Tags)
                table.AddRow(Markup.Escape(t.Name), Markup.Escape(t.Value.ToString()), Quality(t.Quality), t.Alarm == AlarmLevel.None ? "" : $"[red]{t.Alarm}[/]",
                    t.SourceTimestamp == default ? "" : t.SourceTimestamp.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static string Quality(TagQuality q) => q switch
    {
        TagQuality.Good => "[green]Good[/]",
        TagQuality.Uncertain => "[yellow]Uncertain[/]",
        _ => $"[red]{q}[/]",
    };

    private static readonly Option<int?> Count = new("--count") { Description = "Stop after this many changes (default: until Ctrl+C)" };

    private static Command Watch()
    {
        var command = new Command("watch", "A twin's changes as they happen (a live table in a terminal, one line per change otherwise)");
        command.Add(TwinId);
        command.Add(Count);
        command.SetAction((parse, ct) => CliAction.RunAsync(parse, ct, async (imv, json, token) =>
        {
            var id = parse.GetValue(TwinId)!;
            if (parse.GetValue(Count) is < 1) throw new CliException(ExitCodes.BadUsage, "--count must be at least 1.");
            if (await imv.Twins.GetAsync(id, token) is null) throw new CliException(ExitCodes.Refused, $"No twin '{id}'.");
            await using var watch = await imv.Twins.WatchAsync(id, token);
            int left = parse.GetValue(Count) ?? int.MaxValue;
            bool live = !json && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
            var values = new SortedDictionary<string, TagSnapshot>(StringComparer.Ordinal);
            if (live)
            {
                var table = new Table().AddColumns("tag", "value", "quality", "alarm", "source time");
                await AnsiConsole.Live(table).StartAsync(async ctx =>
                {
                    await foreach (var e in watch.ReadAllAsync(token))
                    {
                        Apply(values, e);
                        table.Rows.Clear();
                        foreach (var t in values.Values)
                            table.AddRow(Markup.Escape(t.Name), Markup.Escape(t.Value.ToString()), Quality(t.Quality), t.Alarm == AlarmLevel.None ? "" : $"[red]{t.Alarm}[/]", t.SourceTimestamp.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture));
                        if (e.Kind != WatchEventKind.Changed) table.Caption(new TableTitle(Markup.Escape($"{e.Kind}: {e.Reason}")));
                        ctx.Refresh();
                        if (e.Kind == WatchEventKind.Changed && --left == 0) break;
                    }
                });
                return ExitCodes.Ok;
            }
            await foreach (var e in watch.ReadAllAsync(token))
            {
                if (json) CliAction.WriteJson(new { kind = e.Kind, reason = e.Reason, change = e.Change, state = e.State });
                else if (e.Kind == WatchEventKind.Changed)
                {
                    var c = e.Change!;
                    var tags = string.Join(" ", c.Tags.Select(t => $"{t.Name}={t.Value}{(t.Quality == TagQuality.Good ? "" : "(" + t.Quality + ")")}"));
                    var alarms = string.Join(" ", c.Alarms.Select(a => $"ALARM {a.Tag} {a.Level} {(a.Raised ? "raised" : "cleared")}"));
                    var commands = string.Join(" ", c.Commands.Select(r => $"command {r.Envelope.CommandId} {r.Status}"));
                    Console.Out.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} #{c.Position.Sequence} {tags} {alarms} {commands}".TrimEnd());
                }
                else if (e.Kind == WatchEventKind.Started) Console.Out.WriteLine($"watching {id} ({e.State!.Tags.Count} tags, {e.State.Connectivity})");
                else Console.Out.WriteLine($"{e.Kind}: {e.Reason}".TrimEnd(' ', ':'));
                if (e.Kind == WatchEventKind.Changed && --left == 0) break;
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void Apply(SortedDictionary<string, TagSnapshot> values, WatchEvent<TwinSnapshot, Grains.Interfaces.Watching.TwinChange> e)
    {
        if (e.State is { } state) { values.Clear(); foreach (var t in state.Tags) values[t.Name] = t; }
        if (e.Change is { } change) foreach (var t in change.Tags) values[t.Name] = t;
    }
}
