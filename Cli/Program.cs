using System.CommandLine;
using Imv.Cli;
using Imv.Cli.Commands;

// imv: the command line of an Imv cluster, on the SDK (docs/cli.md). Exit codes: 0 ok, 1 refused, 2 bad usage, 3 unreachable.
var root = new RootCommand("imv: the command line of an Imv cluster (docs/cli.md)")
{
    GlobalOptions.Cluster, GlobalOptions.Config, GlobalOptions.ApiKey, GlobalOptions.Json, GlobalOptions.ConnectTimeout,
    TwinCommands.Create(), CommandCommands.Create(), OrgCommands.Create(), AlarmCommands.Create(), LedgerCommands.Create(), ReplayCommands.Create(),
};
var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors) await Console.Error.WriteLineAsync("imv: " + error.Message);
    await Console.Error.WriteLineAsync("Try 'imv --help'.");
    return ExitCodes.BadUsage;
}
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
try
{
    return await parse.InvokeAsync(cancellationToken: cancel.Token);
}
catch (CliException e)
{
    await Console.Error.WriteLineAsync("imv: " + e.Message);
    return e.ExitCode;
}
