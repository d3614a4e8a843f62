using System.Text.Json;
using Imv.Silo.Tests.Support;

namespace Imv.Silo.Tests;

/// <summary>Replays of the plant recording through the HTTP API, on the shared silo (simulated plant, loops on, the
/// temperature alarm at 100 degC so running machines raise it): a sandbox grid fed from the recording, deterministic,
/// with changes, a report against the original period, stopped half-way, and bad input refused before any sandbox.</summary>
[Collection(SharedSiloCollection.Name)]
public sealed class ReplayApiTests(SharedSiloFixture fixture)
{
    private TestSilo Silo => fixture.Silo;

    /// <summary>A recorded range of a few seconds (every twin delivered in it; its end committed to the recording).</summary>
    private async Task<(string From, string To)> RecordedRangeAsync(TimeSpan length)
    {
        var from = DateTimeOffset.UtcNow;
        await Task.Delay(length);   // the plant runs meanwhile: this is the period to record, not a wait for a condition
        var to = DateTimeOffset.UtcNow;
        const string twin = "site-1.line-01.machine-001";
        await TestSilo.EventuallyAsync(async () =>
        {
            // The recording commits in the order twins handed entries over: once a reading accepted after the range is in
            // the file, everything of the range is.
            using var r = await Silo.Client.GetAsync(new Uri($"/api/twins/{twin}/history?tag=temperature&from={Esc(to.AddSeconds(0.3))}", UriKind.Relative));
            return r.IsSuccessStatusCode;
        }, "the range recorded");
        return (from.ToString("O"), to.ToString("O"));
    }

    private static string Esc(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("O"));

    private async Task<JsonElement> RunToEndAsync(object request)
    {
        var started = await Silo.PostAsync("/api/replays", request, 202);
        var id = started.GetProperty("replayId").GetString()!;
        JsonElement view = default;
        await TestSilo.EventuallyAsync(async () =>
        {
            view = await Silo.GetAsync($"/api/replays/{id}");
            return view.GetProperty("state").GetString() != "Running";
        }, $"replay {id} finished", TimeSpan.FromSeconds(120));
        Assert.True(view.GetProperty("state").GetString() == "Completed", view.ToString());
        return view;
    }

    [Fact]
    public async Task Two_replays_of_the_same_range_with_the_same_changes_give_the_same_hash_and_report()
    {
        var (from, to) = await RecordedRangeAsync(TimeSpan.FromSeconds(4));
        var request = new
        {
            from,
            to,
            speed = "max",
            changes = new { alarmBands = new[] { new { twinId = (string?)null, band = new { tag = "temperature", high = 150.0, highHigh = 300.0, deadband = 1.0 } } } },
        };
        var first = await RunToEndAsync(request);
        var second = await RunToEndAsync(request);
        var hash = first.GetProperty("hash").GetString();
        Assert.Matches("^[0-9a-f]{64}$", hash);
        Assert.Equal(hash, second.GetProperty("hash").GetString());
        Assert.Equal(6, first.GetProperty("twins").GetInt32());
        Assert.Equal(1.0, first.GetProperty("progress").GetProperty("fraction").GetDouble());
        Assert.True(first.GetProperty("progress").GetProperty("readings").GetInt64() > 0);
        Assert.NotEqual(first.GetProperty("sandbox").GetString(), second.GetProperty("sandbox").GetString());
        var a = await Silo.GetAsync($"/api/replays/{first.GetProperty("replayId").GetString()}/report");
        var b = await Silo.GetAsync($"/api/replays/{second.GetProperty("replayId").GetString()}/report");
        Assert.Equal(a.GetProperty("total").ToString(), b.GetProperty("total").ToString());
    }

    [Fact]
    public async Task A_changed_alarm_band_changes_the_alarms_against_the_original_and_the_loops_command_only_the_sandbox()
    {
        var loop = (await Silo.GetAsync("/api/loops")).GetProperty("items").EnumerateArray().First();
        string loopId = loop.GetProperty("loopId").GetString()!, loopTwin = loop.GetProperty("measuredTwinId").GetString()!;
        var (from, to) = await RecordedRangeAsync(TimeSpan.FromSeconds(4));
        // Far above anything the plant reaches: the original (100 degC) alarms, the replay does not.
        var view = await RunToEndAsync(new
        {
            from,
            to,
            organizationId = "site-1",
            changes = new
            {
                alarmBands = new[] { new { twinId = (string?)null, band = new { tag = "temperature", high = 1000.0, deadband = 1.0 } } },
                loops = new[] { new { loopId, setpoint = 120.0 } },
            },
        });
        Assert.True(view.GetProperty("loops").GetInt32() >= 1);
        var report = await Silo.GetAsync($"/api/replays/{view.GetProperty("replayId").GetString()}/report");
        var total = report.GetProperty("total");
        // The twins started from their state at the range's start: a machine already above 100 degC then was in alarm from
        // the start on the original side (outside the band, not raised in the range); in the sandbox, under the changed
        // band, no twin started in alarm nor raised one.
        Assert.True(report.GetProperty("seed").GetProperty("twins").GetInt32() > 0, report.GetProperty("seed").ToString());
        Assert.All(report.GetProperty("twins").EnumerateArray(), t => Assert.False(
            t.TryGetProperty("seeded", out var seeded) && seeded.ValueKind == JsonValueKind.Object && seeded.GetProperty("alarms").GetArrayLength() > 0, t.ToString()));
        Assert.Equal(0, total.GetProperty("replay").GetProperty("alarmsRaised").GetInt32());
        Assert.True(total.GetProperty("original").GetProperty("secondsOutsideBand").GetDouble() > 0);
        Assert.Equal(0, total.GetProperty("replay").GetProperty("secondsOutsideBand").GetDouble());
        // The changed loop commanded its twin in the sandbox (applied there, never sent: the sandbox has no gateway).
        var machine = report.GetProperty("twins").EnumerateArray().Single(t => t.GetProperty("twinId").GetString() == loopTwin);
        Assert.True(machine.GetProperty("replay").GetProperty("commandsIssued").GetInt32() > 0, machine.ToString());
        Assert.Equal(0, machine.GetProperty("replay").GetProperty("commandsRejected").GetInt32());
        Assert.Contains(report.GetProperty("organizations").EnumerateArray(), o => o.GetProperty("organizationId").GetString()!.StartsWith("site-1.line-", StringComparison.Ordinal));
        // The same report as a table.
        using var table = await Silo.Client.GetAsync(new Uri($"/api/replays/{view.GetProperty("replayId").GetString()}/report?format=table", UriKind.Relative));
        var text = await table.Content.ReadAsStringAsync();
        Assert.Contains("total", text, StringComparison.Ordinal);
        Assert.Contains("twin site-1.line-01.machine-001", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replay_stopped_half_way_says_how_far_it_got_and_leaves_the_recording_untouched()
    {
        var (from, to) = await RecordedRangeAsync(TimeSpan.FromSeconds(6));
        const string twin = "site-1.line-02.machine-001";
        var historyPath = $"/api/twins/{twin}/history?tag=temperature&maxPoints=100000&from={Uri.EscapeDataString(from)}&to={Uri.EscapeDataString(to)}";
        var before = await Silo.GetAsync(historyPath);
        // At recorded speed the 6 s range takes 6 s: stopped after a little of it.
        var started = await Silo.PostAsync("/api/replays", new { from, to, speed = "1x" }, 202);
        var id = started.GetProperty("replayId").GetString()!;
        await TestSilo.EventuallyAsync(async () => (await Silo.GetAsync($"/api/replays/{id}")).GetProperty("progress").GetProperty("entries").GetInt64() > 0, "replay under way");
        var stopped = await Silo.SendAsync(HttpMethod.Delete, $"/api/replays/{id}", null, 200);
        Assert.Equal("Stopped", stopped.GetProperty("state").GetString());
        var fraction = stopped.GetProperty("progress").GetProperty("fraction").GetDouble();
        Assert.InRange(fraction, 0, 0.99);
        Assert.True(stopped.GetProperty("progress").GetProperty("replayedUntil").GetDateTimeOffset() < DateTimeOffset.Parse(to, System.Globalization.CultureInfo.InvariantCulture));
        var report = await Silo.GetAsync($"/api/replays/{id}/report");
        Assert.Equal(stopped.GetProperty("progress").GetProperty("replayedUntil").GetDateTimeOffset(), report.GetProperty("to").GetDateTimeOffset());
        var after = await Silo.GetAsync(historyPath);
        Assert.Equal(before.ToString(), after.ToString());
    }

    [Theory]
    [InlineData("""{"from":"2020-01-01T00:00:00Z","to":"2020-01-01T01:00:00Z","organizationId":"no-such-org"}""", 404, "Unknown organization 'no-such-org'")]
    [InlineData("""{"from":"2020-01-01T00:00:00Z","to":"2020-01-01T01:00:00Z","twinIds":["nobody"]}""", 404, "Unknown twin 'nobody'")]
    [InlineData("""{"from":"2020-01-01T00:00:00Z","to":"2020-01-01T01:00:00Z","changes":{"loops":[{"loopId":"loop.none"}]}}""", 404, "unknown control loop 'loop.none'")]
    [InlineData("""{"from":"2020-01-01T00:00:00Z","to":"2020-01-01T01:00:00Z","changes":{"alarmBands":[{"twinId":"site-1.line-01.machine-001","band":{"tag":"noSuchTag","high":1}}]}}""", 400, "has no tag 'noSuchTag'")]
    [InlineData("""{"from":"2020-01-01T00:00:00Z","to":"2020-01-01T01:00:00Z","changes":{"alarmBands":[{"band":{"tag":"temperature","high":1,"low":5}}]}}""", 400, "changes.alarmBands[0]")]
    [InlineData("""{"from":"2020-01-01T00:00:00Z","to":"2020-01-01T01:00:00Z"}""", 422, "Nothing is recorded between 2020-01-01T00:00:00.0000000+00:00")]
    [InlineData("""{"from":"2020-01-01T01:00:00Z","to":"2020-01-01T00:00:00Z"}""", 400, "'to' (2020-01-01T00:00:00.0000000+00:00) must be after 'from'")]
    [InlineData("""{"from":"2020-01-01T00:00:00Z","to":"2020-01-01T01:00:00Z","speed":"fast"}""", 400, "'speed' must be")]
    public async Task Bad_input_is_refused_naming_what_was_wrong_and_starts_no_sandbox(string body, int status, string message)
    {
        int before = (await Silo.GetAsync("/api/replays")).GetArrayLength();
        var error = await Silo.PostAsync("/api/replays", body, status);
        Assert.Contains(message, error.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, (await Silo.GetAsync("/api/replays")).GetArrayLength());
    }

    [Fact]
    public async Task A_worker_may_not_start_a_replay_and_an_unknown_replay_is_404()
    {
        using var worker = await Silo.AsNewAsync("replay-worker", "Worker", "site-1");
        var refused = await worker.PostAsync("/api/replays", new { from = "2020-01-01T00:00:00Z", to = "2020-01-01T01:00:00Z" }, 403);
        Assert.Contains("Configure", refused.GetProperty("error").GetString(), StringComparison.Ordinal);
        var unknown = await Silo.GetAsync("/api/replays/r-none", 404);
        Assert.Contains("Unknown replay 'r-none'", unknown.GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}
