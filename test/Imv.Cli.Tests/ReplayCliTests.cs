using System.Globalization;
using System.Text.Json;
using Imv.Silo.Tests.Support;

namespace Imv.Cli.Tests;

/// <summary><c>imv replay</c> run as a process against the real silo: a replay followed to its report, a replay stopped
/// by Ctrl+C (SIGINT) saying how far it got, and requests refused before any sandbox starts.</summary>
[Collection(CliSiloCollection.Name)]
public sealed class ReplayCliTests(CliSilo fixture)
{
    private const string Twin = "site-1.line-01.machine-001";

    // The key from IMV_API_KEY, as a script would give it.
    private Dictionary<string, string?> Key => new() { ["IMV_API_KEY"] = fixture.Silo.AdminKey };

    private Task<ImvProcess.Result> Imv(params string[] args) => ImvProcess.RunAsync(Key, [.. args, "--cluster", fixture.Cluster]);

    private static void Ok(ImvProcess.Result r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Out}{r.Err}");

    /// <summary>The recording's span once it holds at least <paramref name="seconds"/> of the plant.</summary>
    private async Task<(string From, string To)> RecordedAsync(double seconds)
    {
        string from = "", to = "";
        await TestSilo.EventuallyAsync(async () =>
        {
            var r = await Imv("twins", "history", Twin, "--tag", "temperature", "--json");
            if (r.ExitCode != 0) return false;
            var h = JsonDocument.Parse(r.Out).RootElement;
            from = h.GetProperty("from").GetString()!;
            to = h.GetProperty("to").GetString()!;
            return (DateTimeOffset.Parse(to, CultureInfo.InvariantCulture) - DateTimeOffset.Parse(from, CultureInfo.InvariantCulture)).TotalSeconds >= seconds;
        }, $"{seconds} s of the plant recorded", TimeSpan.FromSeconds(90));
        return (from, to);
    }

    [Fact]
    public async Task A_replay_runs_to_its_end_and_prints_the_report_as_a_table_and_as_json()
    {
        var (from, to) = await RecordedAsync(3);
        var json = await Imv("replay", "--from", from, "--to", to, "--json");
        Ok(json);
        var replay = JsonDocument.Parse(json.Out.Trim().Split('\n')[^1]).RootElement;
        Assert.Equal("Completed", replay.GetProperty("state").GetString());
        Assert.Equal(6, replay.GetProperty("twins").GetInt32());
        Assert.Equal(1.0, replay.GetProperty("fraction").GetDouble());
        Assert.Matches("^[0-9a-f]{64}$", replay.GetProperty("hash").GetString());
        Assert.True(replay.GetProperty("readings").GetInt64() > 0, replay.ToString());
        Assert.True(replay.GetProperty("report").GetProperty("total").GetProperty("original").GetProperty("readings").GetInt64() > 0, replay.ToString());
        // Progress lines go to standard error when the output is not a terminal.
        Assert.Contains("replay r", json.Err, StringComparison.Ordinal);

        var table = await Imv("replay", "--from", from, "--to", to, "--org", "site-1.line-01");
        Ok(table);
        Assert.Contains("Completed", table.Out, StringComparison.Ordinal);
        Assert.Contains("total", table.Out, StringComparison.Ordinal);
        Assert.Contains("twin " + Twin, table.Out, StringComparison.Ordinal);
        // The same recording, the same outcome: the hash printed equals the first one's.
        Assert.Contains("hash " + replay.GetProperty("hash").GetString(), (await Imv("replay", "--from", from, "--to", to)).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctrl_c_stops_the_replay_and_says_how_far_it_got()
    {
        var (from, to) = await RecordedAsync(12);
        // At recorded speed the range takes as long as it lasted: interrupted once it is under way.
        using var running = ImvProcess.Start(Key, "replay", "--from", from, "--to", to, "--speed", "1x", "--cluster", fixture.Cluster);
        await TestSilo.EventuallyAsync(() => Task.FromResult(running.Err.Contains("replay r", StringComparison.Ordinal)), "a progress line", TimeSpan.FromSeconds(60));
        running.Interrupt();
        var r = await running.WaitAsync(TimeSpan.FromSeconds(90));
        Assert.True(r.ExitCode == 1, $"exit {r.ExitCode}: {r.Out}{r.Err}");
        Assert.Contains("stopped by Ctrl+C: everything recorded before", r.Err, StringComparison.Ordinal);
        Assert.Contains("the recording is untouched", r.Err, StringComparison.Ordinal);
        Assert.Contains("Stopped", r.Out, StringComparison.Ordinal);
        var id = r.Out.Split(' ', '\n').First(w => w.StartsWith('r') && w.Contains('-', StringComparison.Ordinal));
        // The replay itself stopped (not only the tool), and show finds it.
        var shown = await Imv("replay", "show", id, "--json");
        Assert.Equal(1, shown.ExitCode);
        Assert.Equal("Stopped", JsonDocument.Parse(shown.Out).RootElement.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Requests_the_grid_cannot_replay_are_refused_naming_the_problem()
    {
        var unknown = await Imv("replay", "--from", "-1m", "--to", "-0s", "--org", "nowhere");
        Assert.True(unknown.ExitCode == 1, $"exit {unknown.ExitCode}: {unknown.Out}{unknown.Err}");
        Assert.Contains("nowhere", unknown.Err, StringComparison.Ordinal);
        var nothing = await Imv("replay", "--from", "2000-01-01T00:00:00Z", "--to", "2000-01-01T01:00:00Z");
        Assert.Equal(1, nothing.ExitCode);
        Assert.Contains("Nothing is recorded", nothing.Err, StringComparison.Ordinal);
        var speed = await Imv("replay", "--from", "-1m", "--to", "-0s", "--speed", "fast");
        Assert.Equal(2, speed.ExitCode);
        Assert.Contains("speed", speed.Err, StringComparison.Ordinal);
        Assert.Equal(1, (await Imv("replay", "show", "r-none")).ExitCode);
    }
}
