using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace Imv.Cli.Commands;

/// <summary><c>imv alarms</c>: the active alarms below an organization.</summary>
internal static class AlarmCommands
{
    public static Command Create()
    {
        var alarms = new Command("alarms", "The alarms active now below an organization");
        alarms.Add(TwinCommands.Org);
        alarms.SetAction((parse, ct) => CliAction.RunAsync(parse, ct, async (imv, json, token) =>
        {
            var org = parse.GetValue(TwinCommands.Org);
            if (org is not null && await imv.Organizations.GetAsync(org, token) is null) throw new CliException(ExitCodes.Refused, $"No organization '{org}'.");
            var list = await imv.Twins.ListActiveAlarmsAsync(org, token);
            if (json)
            {
                CliAction.WriteJson(list.Select(x => new { twinId = x.TwinId, tag = x.Alarm.Tag, level = x.Alarm.Level, raisedAt = x.Alarm.RaisedAt, value = x.Alarm.Value }));
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumns("twin", "tag", "level", "value", "raised");
            foreach (var (twin, a) in list)
                table.AddRow(Markup.Escape(twin), Markup.Escape(a.Tag), $"[red]{a.Level}[/]", a.Value.ToString("0.##", CultureInfo.InvariantCulture), a.RaisedAt.ToString("u", CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
            AnsiConsole.WriteLine($"{list.Count} active alarm(s)");
            return ExitCodes.Ok;
        }));
        return alarms;
    }
}
