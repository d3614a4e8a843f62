using System.CommandLine;
using System.Globalization;
using Imv.Client.Access;
using Spectre.Console;

namespace Imv.Cli.Commands;

/// <summary><c>imv orgs tree</c>.</summary>
internal static class OrgCommands
{
    private static readonly Option<bool> Machines = new("--machines") { Description = "List each organization's machines too" };

    public static Command Create()
    {
        var orgs = new Command("orgs", "The organization tree");
        var tree = new Command("tree", "The tree below an organization with every live aggregate");
        tree.Add(TwinCommands.Org);
        tree.Add(Machines);
        tree.SetAction((parse, ct) => CliAction.RunAsync(parse, ct, async (imv, json, token) =>
        {
            var root = parse.GetValue(TwinCommands.Org);
            var node = await imv.Organizations.TreeAsync(root, token)
                ?? throw new CliException(ExitCodes.Refused, $"No organization '{root ?? imv.Options.RootOrganization}'.");
            if (json)
            {
                CliAction.WriteJson(Json(node));
                return ExitCodes.Ok;
            }
            var t = new Tree(Label(node));
            Add(t, node, parse.GetValue(Machines));
            AnsiConsole.Write(t);
            return ExitCodes.Ok;
        }));
        orgs.Add(tree);
        return orgs;
    }

    private static object Json(OrganizationNode n) => new
    {
        id = n.Info.Id, kind = n.Info.Kind, name = n.Info.Name, machines = n.Info.Machines,
        aggregate = new { n.Aggregate.MachineCount, n.Aggregate.Running, n.Aggregate.Idle, n.Aggregate.Faulted, n.Aggregate.Offline, n.Aggregate.Unknown, n.Aggregate.ActiveAlarms, n.Aggregate.Oee },
        children = n.Children.Select(Json).ToList(),
    };

    private static string Label(OrganizationNode n)
    {
        var a = n.Aggregate;
        return $"[bold]{Markup.Escape(n.Info.Id)}[/] {n.Info.Kind} \"{Markup.Escape(n.Info.Name)}\": {a.MachineCount} machines, {a.Running} running, {a.Idle} idle, " +
            $"{a.Faulted} faulted, {a.Offline} offline, {(a.ActiveAlarms > 0 ? "[red]" + a.ActiveAlarms + " alarms[/]" : "0 alarms")}, OEE {a.Oee.ToString("P1", CultureInfo.InvariantCulture)}";
    }

    private static void Add(IHasTreeNodes parent, OrganizationNode n, bool machines)
    {
        foreach (var c in n.Children) Add(parent.AddNode(Label(c)), c, machines);
        if (machines) foreach (var m in n.Info.Machines) parent.AddNode(Markup.Escape(m));
    }
}
