using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Imv.Client;
using Imv.Client.Access;
using Imv.Client.Json;
using Imv.Grains.Interfaces.Replay;
using Spectre.Console;

namespace Imv.Cli.Commands;

/// <summary><c>imv replay</c>: replays a recorded range into a sandbox grid with a progress bar and prints the comparison
/// with the original period; Ctrl+C stops the replay (between two entries) and says how far it got. <c>imv replay show</c>
/// and <c>imv replay stop</c> follow and stop a replay by id.</summary>
internal static class ReplayCommands
{
    private const string TimeHelp = "an ISO 8601 time (2026-12-06T14:03:00Z) or a time before now (-30s, -5m, -2h, -1d)";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    // Required, but checked by Request (with the other problems): System.CommandLine would also ask them of 'show' and 'stop'.
    private static readonly Option<string?> From = new("--from") { Description = "Start of the recorded range (required): " + TimeHelp };
    private static readonly Option<string?> To = new("--to") { Description = "End of the recorded range, excluded (required): " + TimeHelp };
    private static readonly Option<string?> Org = new("--org") { Description = "Replay the twins of this organization and below (default: every twin)" };
    private static readonly Option<string[]> Twins = new("--twin") { Description = "Replay this twin (repeat for more; instead of --org)", AllowMultipleArgumentsPerToken = false };
    private static readonly Option<string?> Speed = new("--speed") { Description = "max (as fast as possible, the default) or a factor of recorded time: 1x, 10x, 60" };
    private static readonly Option<string?> Changes = new("--changes") { Description = "A JSON file of changes to try (control loops, alarm bands, twin configuration; docs/replay.md)" };
    private static readonly Option<bool> Detach = new("--detach") { Description = "Start the replay and print its id without following it" };
    private static readonly Argument<string> ReplayId = new("replay") { Description = "The replay id" };

    public static Command Create()
    {
        var replay = new Command("replay", "Replay a recorded range into a sandbox grid (no path to any machine) and compare it with the original period");
        foreach (var o in new Option[] { From, To, Org, Twins, Speed, Changes, Detach }) replay.Add(o);
        replay.SetAction(async (parse, ct) =>
        {
            // The request is checked before connecting: bad usage needs no cluster.
            ReplayRequest request;
            try { request = Request(parse); }
            catch (CliException e)
            {
                await Console.Error.WriteLineAsync("imv: " + e.Message);
                return e.ExitCode;
            }
            return await CliAction.RunAsync(parse, ct, (imv, json, token) => StartAsync(imv, request, parse.GetValue(Detach), json, token));
        });

        var show = new Command("show", "A replay's state, progress and report");
        show.Add(ReplayId);
        show.SetAction((parse, ct) => CliAction.RunAsync(parse, ct, async (imv, json, token) =>
        {
            var id = parse.GetValue(ReplayId)!;
            var info = await imv.Replays.GetAsync(id, token) ?? throw Unknown(id);
            return Final(info, json);
        }));
        replay.Add(show);

        var stop = new Command("stop", "Stop a running replay (between two entries); says how far it got");
        stop.Add(ReplayId);
        stop.SetAction((parse, ct) => CliAction.RunAsync(parse, ct, async (imv, json, token) =>
        {
            var id = parse.GetValue(ReplayId)!;
            var info = await imv.Replays.StopAsync(id, token) ?? throw Unknown(id);
            return Final(info, json);
        }));
        replay.Add(stop);
        return replay;
    }

    private static async Task<int> StartAsync(ImvClient imv, ReplayRequest request, bool detach, bool json, CancellationToken token)
    {
        ReplayInfo started;
        try { started = await imv.Replays.StartAsync(request, null, token); }
        catch (ReplayRefusedException e)
        {
            throw new CliException(e.Refusal == ReplayRefusal.Invalid ? ExitCodes.BadUsage : ExitCodes.Refused, e.Message);
        }
        if (detach)
        {
            if (json) WriteJson(started);
            else Console.Out.WriteLine(started.ReplayId);
            return ExitCodes.Ok;
        }
        return await FollowAsync(imv, started, json, token);
    }

    private static CliException Unknown(string id) =>
        new(ExitCodes.Refused, $"Unknown replay '{id}' (replays are kept in memory by the silo that ran them: the last 20 finished).");

    /// <summary>The request the options describe; every problem at once (bad usage).</summary>
    private static ReplayRequest Request(ParseResult parse)
    {
        var problems = new List<string>();
        DateTimeOffset? When(Option<string?> option)
        {
            if (parse.GetValue(option) is not { } text) { problems.Add($"{option.Name} is required: " + TimeHelp + "."); return null; }
            try { return TwinHistoryCommands.ParseTime(option.Name, text); }
            catch (CliException e) { problems.Add(e.Message); return null; }
        }
        var from = When(From);
        var to = When(To);
        if (from is { } f && to is { } t && f >= t) problems.Add($"--from ({f:O}) must be before --to ({t:O}).");
        var org = parse.GetValue(Org);
        var twins = parse.GetValue(Twins) is { Length: > 0 } list ? list : null;
        if (org is not null && twins is not null) problems.Add("--org and --twin cannot be used together: replay an organization or a list of twins.");
        ReplayChanges? changes = null;
        if (parse.GetValue(Changes) is { } file)
        {
            var path = Path.GetFullPath(file);
            if (!File.Exists(path)) problems.Add($"--changes: the file '{path}' does not exist.");
            else
            {
                try { changes = JsonSerializer.Deserialize<ReplayChanges>(File.ReadAllText(path), ImvJson.Options); }
                catch (JsonException e) { problems.Add($"--changes: '{path}' is not a changes document ({e.Message})."); }
            }
        }
        if (problems.Count > 0) throw new CliException(ExitCodes.BadUsage, string.Join(Environment.NewLine, problems));
        return new ReplayRequest(from, to, org, twins, parse.GetValue(Speed), changes);
    }

    /// <summary>Follows the replay to its end with a progress bar (a terminal) or a progress line a second on standard
    /// error (a file or a pipe); Ctrl+C stops the replay.</summary>
    private static async Task<int> FollowAsync(ImvClient imv, ReplayInfo started, bool json, CancellationToken token)
    {
        var id = started.ReplayId;
        // Plain lines (not markup): a console narrower than a hash would wrap them.
        if (!json) Console.Out.WriteLine($"Replay {id} of {started.Scope} from {Time(started.From)} to {Time(started.To)}: "
            + $"{started.Twins} twin(s), {started.Loops} loop(s), {started.Changes} change(s), speed {started.Speed}. Ctrl+C stops it.");
        ReplayInfo last = started;
        try
        {
            bool bar = !json && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
            if (bar)
            {
                await AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                    .StartAsync(async ctx =>
                    {
                        var task = ctx.AddTask("replaying", maxValue: 100);
                        last = await imv.Replays.WaitAsync(id, PollInterval, info =>
                        {
                            task.Value = info.Fraction * 100;
                            task.Description = $"{info.Entries:N0} entries, until {Time(info.ReplayedUntil)}";
                        }, token);
                        task.Value = last.Fraction * 100;
                    });
            }
            else
            {
                var lastLine = DateTimeOffset.MinValue;
                last = await imv.Replays.WaitAsync(id, PollInterval, info =>
                {
                    if (DateTimeOffset.UtcNow - lastLine < TimeSpan.FromSeconds(1)) return;
                    lastLine = DateTimeOffset.UtcNow;
                    Console.Error.WriteLine(Line(info));
                }, token);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Ctrl+C: stop the replay itself, and say how far it got.
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            last = await imv.Replays.StopAsync(id, stopping.Token) ?? last;
            await Console.Error.WriteLineAsync($"imv: replay {id} stopped by Ctrl+C: everything recorded before {Time(last.ReplayedUntil)} was replayed "
                + $"({last.Fraction.ToString("P1", CultureInfo.InvariantCulture)} of the range, {last.Entries:N0} entries); the recording is untouched.");
        }
        return Final(last, json);
    }

    /// <summary>Prints the replay as it ended (or is): its figures and the report; the exit code it means.</summary>
    private static int Final(ReplayInfo info, bool json)
    {
        if (json) WriteJson(info);
        else
        {
            Console.Out.WriteLine($"Replay {info.ReplayId} {info.State}: {info.Entries:N0} entries, {info.Readings:N0} readings, "
                + $"{info.LoopSteps:N0} loop steps in {info.FeedSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s "
                + $"({info.Speedup.ToString("0.0", CultureInfo.InvariantCulture)}x), replayed until {Time(info.ReplayedUntil)}"
                + (info.Hash is { } h ? $"; hash {h}" : ""));
            if (info.ReportTable is { } table) Console.Out.Write(table);
        }
        if (info.State == ReplayState.Failed) Console.Error.WriteLine($"imv: replay {info.ReplayId} failed: {info.Error}");
        return info.State is ReplayState.Completed or ReplayState.Running ? ExitCodes.Ok : ExitCodes.Refused;
    }

    /// <summary>One JSON object: the replay, its report as JSON (not a string), without the text table.</summary>
    private static void WriteJson(ReplayInfo info)
    {
        var node = JsonSerializer.SerializeToNode(info, ImvJson.Options)!.AsObject();
        node.Remove("reportTable");
        node.Remove("reportJson");
        node["report"] = info.ReportJson is { } report ? JsonNode.Parse(report) : null;
        Console.Out.WriteLine(node.ToJsonString(ImvJson.Options));
    }

    private static string Line(ReplayInfo info) => string.Create(CultureInfo.InvariantCulture,
        $"replay {info.ReplayId}: {info.Fraction:P1}, until {Time(info.ReplayedUntil)}, {info.Entries:N0} entries, {info.LoopSteps:N0} loop steps");

    private static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
