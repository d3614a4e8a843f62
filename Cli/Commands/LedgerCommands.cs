using System.CommandLine;
using Imv.Grains.Interfaces.Assets;
using Spectre.Console;

namespace Imv.Cli.Commands;

/// <summary><c>imv ledger verify</c>.</summary>
internal static class LedgerCommands
{
    private static readonly Option<string> Name = new("--ledger") { Description = "The ledger (default main)", DefaultValueFactory = _ => LedgerNames.Main };

    public static Command Create()
    {
        var ledger = new Command("ledger", "The tamper-evident ledger");
        var verify = new Command("verify", "Recompute the hash chain; exit 1 naming the first bad entry when it does not verify");
        verify.Add(Name);
        verify.SetAction((parse, ct) => CliAction.RunAsync(parse, ct, async (imv, json, token) =>
        {
            var v = await imv.Ledger.VerifyAsync(parse.GetValue(Name)!, token);
            if (json) CliAction.WriteJson(v);
            else if (v.IsValid) AnsiConsole.MarkupLine($"[green]ledger verified[/]: {v.Count} entries, the chain is whole");
            else AnsiConsole.MarkupLine($"[red]ledger does not verify[/]: entry {v.BadIndex} ({Markup.Escape(v.BadEntryId ?? "?")}): {Markup.Escape(v.Problem ?? "")}");
            return v.IsValid ? ExitCodes.Ok : ExitCodes.Refused;
        }));
        ledger.Add(verify);
        return ledger;
    }
}
