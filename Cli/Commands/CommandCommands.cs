using System.CommandLine;
using System.Globalization;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;
using Spectre.Console;

namespace Imv.Cli.Commands;

/// <summary><c>imv command send</c>: a command to a twin, optionally followed to its end.</summary>
internal static class CommandCommands
{
    private static readonly Option<string?> Tag = new("--tag") { Description = "The tag to write" };
    private static readonly Option<string?> Value = new("--value") { Description = "The value to write: true/false, a number, or text" };
    private static readonly Option<string?> Method = new("--method") { Description = "The method to call (instead of --tag)" };
    private static readonly Option<string[]> Args = new("--arg") { Description = "A method input argument (repeat in order)", AllowMultipleArgumentsPerToken = false };
    private static readonly Option<string?> Id = new("--id") { Description = "The command id (idempotency key; default: a new one)" };
    private static readonly Option<bool> Wait = new("--wait") { Description = "Follow the command until Applied, Rejected or Expired, showing each state" };
    private static readonly Option<double> Timeout = new("--timeout") { Description = "Seconds --wait waits at most (default 60)", DefaultValueFactory = _ => 60 };

    public static Command Create()
    {
        var group = new Command("command", "Commands to twins");
        var send = new Command("send", "Send a command (a tag write or a method call) to a twin");
        send.Add(TwinCommands.TwinId);
        foreach (var o in new Option[] { Tag, Value, Method, Args, Id, Wait, Timeout }) send.Add(o);
        send.SetAction((parse, ct) => CliAction.RunAsync(parse, ct, async (imv, json, token) =>
        {
            var twin = parse.GetValue(TwinCommands.TwinId)!;
            var request = Request(parse);
            if (await imv.Twins.GetAsync(twin, token) is null) throw new CliException(ExitCodes.Refused, $"No twin '{twin}'.");
            CommandRecord final;
            if (parse.GetValue(Wait))
            {
                try
                {
                    final = await imv.Commands.SendAndFollowAsync(twin, request, r => Show(r, json), TimeSpan.FromSeconds(parse.GetValue(Timeout)), token);
                }
                catch (TimeoutException e)
                {
                    throw new CliException(ExitCodes.Refused, e.Message);
                }
            }
            else
            {
                final = await imv.Commands.SendAsync(twin, request, token);
                Show(final, json);
            }
            if (final.Status is CommandDeliveryStatus.Rejected or CommandDeliveryStatus.Expired)
            {
                if (!json) await Console.Error.WriteLineAsync($"imv: command {final.Envelope.CommandId} {final.Status}: {final.Reason} ({Meaning(final)})");
                return ExitCodes.Refused;
            }
            return ExitCodes.Ok;
        }));
        group.Add(send);
        return group;
    }

    private static CommandRequest Request(ParseResult parse)
    {
        var tag = parse.GetValue(Tag);
        var method = parse.GetValue(Method);
        var value = parse.GetValue(Value);
        if ((tag is null) == (method is null)) throw new CliException(ExitCodes.BadUsage, "Give either --tag (with --value) or --method.");
        if (tag is not null && value is null) throw new CliException(ExitCodes.BadUsage, "--tag needs --value.");
        var args = parse.GetValue(Args) is { Length: > 0 } a ? a.Select(Parse).ToList() : null;
        var id = parse.GetValue(Id) ?? "imv-" + Guid.NewGuid().ToString("N")[..12];
        // The issuer is the API key's avatar: the silo sets it (docs/cli.md).
        return new CommandRequest(id, IssuerKind.Avatar, "", tag, method, value is null ? default : Parse(value), args);
    }

    /// <summary>A value typed as the user would mean it: a boolean, an integer, a number, else text.</summary>
    internal static TagValue Parse(string text)
    {
        if (bool.TryParse(text, out var b)) return TagValue.FromBoolean(b);
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) return TagValue.FromInteger(l);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return TagValue.FromDouble(d);
        return TagValue.FromString(text);
    }

    private static void Show(CommandRecord r, bool json)
    {
        if (json) { CliAction.WriteJson(new { commandId = r.Envelope.CommandId, issuer = r.Envelope.Issuer, status = r.Status, reason = r.Reason, at = r.Transitions[^1].At, meaning = Meaning(r) }); return; }
        var color = r.Status switch { CommandDeliveryStatus.Applied => "green", CommandDeliveryStatus.Rejected or CommandDeliveryStatus.Expired => "red", _ => "yellow" };
        AnsiConsole.MarkupLine($"{r.Transitions[^1].At:HH:mm:ss.fff} command {Markup.Escape(r.Envelope.CommandId)} [{color}]{r.Status}[/]{(r.Reason is null ? "" : " " + Markup.Escape(r.Reason))}");
    }

    /// <summary>What a command's status means, and for a refusal, which check refused it (the reason's prefix).</summary>
    internal static string Meaning(CommandRecord r)
    {
        var status = r.Status switch
        {
            CommandDeliveryStatus.Issued => "accepted by the twin, not yet sent",
            CommandDeliveryStatus.Delivered => "the gateway handed it to the machine",
            CommandDeliveryStatus.Acked => "the machine acknowledged it",
            CommandDeliveryStatus.Applied => "the plant confirmed it",
            CommandDeliveryStatus.Expired => "not confirmed before it expired",
            _ => "refused",
        };
        if (r.Status != CommandDeliveryStatus.Rejected || r.Reason is null) return status;
        var check = r.Reason.Split(':', 2)[0] switch
        {
            "issuer" => "by the issuer check: the avatar may not command this twin",
            "lease" => "by the operator lease: another avatar controls this twin",
            "coupling" => "by the twin's coupling mode: it does not pass commands to the machine",
            "interlock" => "by an interlock: the value or method breaks a limit of the twin",
            "gateway" => "by the gateway: it could not send the command",
            "plant" => "by the machine itself",
            _ => "",
        };
        return check.Length == 0 ? status : status + " " + check;
    }
}
