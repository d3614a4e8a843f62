using System.Globalization;
using System.Text.Json;
using Imv.Silo.Tests.Support;

namespace Imv.Cli.Tests;

[Collection(CliSiloCollection.Name)]
public sealed class CliTests(CliSilo fixture)
{
    private const string Twin = "site-1.line-01.machine-001";

    // As the administrator (--api-key); the tests of authentication give other keys, or none.
    private Task<ImvProcess.Result> Imv(params string[] args) => ImvProcess.RunAsync([.. args, "--cluster", fixture.Cluster, "--api-key", fixture.Silo.AdminKey]);

    private static void Ok(ImvProcess.Result r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Out}{r.Err}");

    [Fact]
    public async Task Twins_list_as_json_and_as_a_table()
    {
        var json = await Imv("twins", "list", "--json");
        Ok(json);
        var items = JsonDocument.Parse(json.Out).RootElement;
        Assert.Equal(6, items.GetArrayLength());
        Assert.Contains(items.EnumerateArray(), i => i.GetProperty("twinId").GetString() == Twin);

        var table = await Imv("twins", "list", "--org", "site-1.line-02");
        Ok(table);
        Assert.Contains("site-1.line-02.machine-001", table.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(Twin, table.Out, StringComparison.Ordinal);
        Assert.Contains("3 twins", table.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Twins_show_prints_the_tags_and_an_unknown_twin_is_refused()
    {
        var show = await Imv("twins", "show", Twin);
        Ok(show);
        Assert.Contains("temperature", show.Out, StringComparison.Ordinal);
        Assert.Contains("Good", show.Out, StringComparison.Ordinal);
        var json = await Imv("twins", "show", Twin, "--json");
        Ok(json);
        Assert.Equal(Twin, JsonDocument.Parse(json.Out).RootElement.GetProperty("twinId").GetString());

        var unknown = await Imv("twins", "show", "no-such-twin");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("No twin 'no-such-twin'", unknown.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Twins_history_and_show_at_read_the_plant_recording()
    {
        // The recording trails the twin by its flush interval: wait until it holds a few readings.
        JsonElement history = default;
        await TestSilo.EventuallyAsync(async () =>
        {
            var r = await Imv("twins", "history", Twin, "--tag", "temperature", "--json");
            if (r.ExitCode != 0) return false;
            history = JsonDocument.Parse(r.Out).RootElement.Clone();
            return history.GetProperty("readings").GetInt32() >= 3;
        }, "three recorded readings of temperature", TimeSpan.FromSeconds(60));
        Assert.Equal(Twin, history.GetProperty("twinId").GetString());
        Assert.True(history.GetProperty("points").GetArrayLength() >= 3);

        var small = await Imv("twins", "history", Twin, "--tag", "temperature", "--max-points", "1");
        Ok(small);
        Assert.Contains("downsampled to 1 buckets", small.Out, StringComparison.Ordinal);

        // The twin as it was at the last recorded instant.
        var recordedTo = history.GetProperty("to").GetString()!;
        var at = await Imv("twins", "show", Twin, "--at", recordedTo, "--json");
        Ok(at);
        var past = JsonDocument.Parse(at.Out).RootElement;
        Assert.Equal(Twin, past.GetProperty("twinId").GetString());
        Assert.Contains(past.GetProperty("tags").EnumerateArray(), t => t.GetProperty("name").GetString() == "temperature");
        var table = await Imv("twins", "show", Twin, "--at", recordedTo);
        Ok(table);
        Assert.Contains("as it was at", table.Out, StringComparison.Ordinal);

        var badTime = await Imv("twins", "show", Twin, "--at", "yesterday");
        Assert.Equal(2, badTime.ExitCode);
        Assert.Contains("--at must be an ISO 8601 time", badTime.Err, StringComparison.Ordinal);
        var before = await Imv("twins", "show", Twin, "--at", "2000-01-01T00:00:00Z");
        Assert.Equal(1, before.ExitCode);
        Assert.Contains("its recording starts at", before.Err, StringComparison.Ordinal);
        var noTag = await Imv("twins", "history", Twin, "--tag", "nope");
        Assert.Equal(1, noTag.ExitCode);
        Assert.Contains("has no tag 'nope'", noTag.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Twins_watch_prints_changes_as_they_happen()
    {
        var watch = await Imv("twins", "watch", Twin, "--count", "3", "--json");
        Ok(watch);
        var lines = watch.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal("Started", lines[0].GetProperty("kind").GetString());
        Assert.Equal(3, lines.Count(l => l.GetProperty("kind").GetString() == "Changed"));
        Assert.All(lines.Where(l => l.GetProperty("kind").GetString() == "Changed"), l => Assert.Equal(Twin, l.GetProperty("change").GetProperty("twinId").GetString()));

        var text = await Imv("twins", "watch", Twin, "--count", "2");
        Ok(text);
        Assert.StartsWith("watching " + Twin, text.Out, StringComparison.Ordinal);
        Assert.Contains("temperature=", text.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_send_wait_shows_the_states_and_ends_applied()
    {
        var sent = await Imv("command", "send", "site-1.line-01.machine-002", "--tag", "speedSetpoint", "--value", "70.5", "--wait", "--json");
        Ok(sent);
        var states = sent.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("status").GetString()).ToList();
        Assert.Equal("Applied", states[^1]);
        Assert.True(states.Count >= 2, string.Join(",", states));

        var table = await Imv("command", "send", "site-1.line-01.machine-002", "--method", "Stop", "--wait");
        Ok(table);
        Assert.Contains("Applied", table.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_command_exits_1_with_its_reason_and_meaning()
    {
        var refused = await Imv("command", "send", Twin, "--tag", "temperatureSetpoint", "--value", "900", "--wait");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("Rejected", refused.Out, StringComparison.Ordinal);
        Assert.Contains("interlock", refused.Err, StringComparison.Ordinal);
        Assert.Contains("breaks a limit", refused.Err, StringComparison.Ordinal);

    }

    /// <summary>A key of avatar <paramref name="avatarId"/>, registered with <paramref name="role"/> and <paramref name="scopes"/>.</summary>
    private async Task<string> KeyOfNewAsync(string avatarId, string role, params string[] scopes)
    {
        await fixture.Silo.Admin.PostAsync("/api/avatars", new { avatarId, displayName = avatarId, role, scopes }, 201);
        return (await fixture.Silo.Admin.PostAsync("/api/keys", new { avatarId, name = "cli test" }, 201)).GetProperty("key").GetString()!;
    }

    [Fact]
    public async Task Without_a_key_or_with_an_unknown_one_imv_exits_1_naming_the_key()
    {
        var none = await ImvProcess.RunAsync("twins", "show", Twin, "--cluster", fixture.Cluster);
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("missing API key", none.Err, StringComparison.Ordinal);
        Assert.Contains("--api-key", none.Err, StringComparison.Ordinal);

        var unknown = await ImvProcess.RunAsync("twins", "show", Twin, "--cluster", fixture.Cluster, "--api-key", "imv_0123456789abcdef_notakeythegridknows");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("unknown API key", unknown.Err, StringComparison.Ordinal);

        var malformed = await ImvProcess.RunAsync("twins", "show", Twin, "--cluster", fixture.Cluster, "--api-key", "secret");
        Assert.Equal(2, malformed.ExitCode);
        Assert.Contains("--api-key", malformed.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_is_issued_by_the_keys_avatar_and_refused_out_of_its_scope()
    {
        // An operator of line 02 commands a machine of line 02; the command's issuer is the key's avatar.
        var key = await KeyOfNewAsync("cli-operator-line02", "Worker", "site-1.line-02");
        var sent = await ImvProcess.RunAsync("command", "send", "site-1.line-02.machine-001", "--tag", "speedSetpoint", "--value", "61", "--json",
            "--cluster", fixture.Cluster, "--api-key", key);
        Assert.True(sent.ExitCode == 0, sent.Err);
        var record = JsonDocument.Parse(sent.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;
        Assert.Equal("cli-operator-line02", record.GetProperty("issuer").GetString());

        // The same key on a machine of line 01: refused before the twin, naming the right and the scopes.
        var commandsBefore = (await fixture.Silo.Admin.GetAsync($"/api/twins/{Twin}/commands")).GetProperty("total").GetInt32();
        var refused = await ImvProcess.RunAsync("command", "send", Twin, "--method", "Stop", "--cluster", fixture.Cluster, "--api-key", key);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("'Command'", refused.Err, StringComparison.Ordinal);
        Assert.Contains("site-1.line-02", refused.Err, StringComparison.Ordinal);
        Assert.Equal(commandsBefore, (await fixture.Silo.Admin.GetAsync($"/api/twins/{Twin}/commands")).GetProperty("total").GetInt32());

        // --issuer is gone: the issuer is the key's avatar.
        var issuer = await ImvProcess.RunAsync("command", "send", Twin, "--method", "Stop", "--issuer", "manager", "--cluster", fixture.Cluster, "--api-key", key);
        Assert.Equal(2, issuer.ExitCode);
    }

    [Fact]
    public async Task Orgs_tree_shows_the_tree_with_aggregates()
    {
        var tree = await Imv("orgs", "tree", "--machines");
        Ok(tree);
        Assert.Contains("enterprise", tree.Out, StringComparison.Ordinal);
        Assert.Contains("site-1.line-02", tree.Out, StringComparison.Ordinal);
        Assert.Contains("6 machines", tree.Out, StringComparison.Ordinal);
        Assert.Contains("site-1.line-02.machine-003", tree.Out, StringComparison.Ordinal);
        var json = await Imv("orgs", "tree", "--json");
        Ok(json);
        var root = JsonDocument.Parse(json.Out).RootElement;
        Assert.Equal(6, root.GetProperty("aggregate").GetProperty("machineCount").GetInt64());
        Assert.Equal("site-1", root.GetProperty("children")[0].GetProperty("id").GetString());

        Assert.Equal(1, (await Imv("orgs", "tree", "--org", "nowhere")).ExitCode);
    }

    [Fact]
    public async Task Alarms_lists_the_active_alarms()
    {
        // The temperature limit is 100 degC: running machines are in alarm.
        await TestSilo.EventuallyAsync(async () =>
        {
            var r = await Imv("alarms", "--json");
            Ok(r);
            return JsonDocument.Parse(r.Out).RootElement.GetArrayLength() > 0;
        }, "an active alarm listed by imv alarms");
        var table = await Imv("alarms");
        Ok(table);
        Assert.Contains("temperature", table.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ledger_verify_exits_0_on_a_whole_chain()
    {
        var r = await Imv("ledger", "verify");
        Ok(r);
        Assert.Contains("ledger verified", r.Out, StringComparison.Ordinal);
        var json = await Imv("ledger", "verify", "--json");
        Assert.True(JsonDocument.Parse(json.Out).RootElement.GetProperty("isValid").GetBoolean());
    }

    [Fact]
    public async Task A_silo_configuration_file_reaches_its_cluster()
    {
        // A silo's file names its gateway and where it wrote its administrator key: that is all imv needs.
        var file = Path.Combine(Path.GetTempPath(), "imv-cli-" + Guid.NewGuid().ToString("N") + ".json");
        var keyFile = JsonSerializer.Serialize(TestSilo.AdminKeyFileOf(fixture.Silo.DataFile));
        await File.WriteAllTextAsync(file, $$"""{ "Silo": { "GatewayPort": {{fixture.GatewayPort.ToString(CultureInfo.InvariantCulture)}} }, "Auth": { "AdminKeyFile": {{keyFile}} } }""");
        // A client's file may carry the key itself.
        var clientFile = Path.Combine(Path.GetTempPath(), "imv-cli-" + Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(clientFile, $$"""{ "Client": { "Gateways": "{{fixture.Cluster}}", "ApiKey": "{{fixture.Silo.AdminKey}}" } }""");
        try
        {
            Ok(await ImvProcess.RunAsync("twins", "list", "--config", file, "--json"));
            Ok(await ImvProcess.RunAsync("twins", "list", "--config", clientFile, "--json"));
        }
        finally
        {
            File.Delete(file);
            File.Delete(clientFile);
        }
    }
}

public sealed class CliUsageTests
{
    [Theory]
    [InlineData("twins", "frobnicate")]
    [InlineData("twins", "show")]
    [InlineData("command", "send", "x", "--tag", "t", "--value", "1", "--issuer", "manager")]
    [InlineData("replay", "--to", "-1m")]
    [InlineData("replay", "--from", "-2m", "--to", "-1m", "--org", "a", "--twin", "b")]
    [InlineData("replay", "--from", "-1m", "--to", "-2m")]
    [InlineData("replay", "--from", "-2m", "--to", "-1m", "--changes", "/nonexistent/changes.json")]
    public async Task Bad_usage_exits_2(params string[] args)
    {
        var r = await ImvProcess.RunAsync(args);
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Out}{r.Err}");
        Assert.NotEmpty(r.Err);
    }

    [Fact]
    public async Task Bad_connection_settings_exit_2_naming_them()
    {
        var r = await ImvProcess.RunAsync("twins", "list", "--cluster", "nohost");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("'nohost'", r.Err, StringComparison.Ordinal);
        var missing = await ImvProcess.RunAsync("twins", "list", "--config", "/nonexistent/imv.json");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("/nonexistent/imv.json", missing.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_cluster_exits_3_naming_the_gateway()
    {
        var port = TestSilo.FreePort().ToString(CultureInfo.InvariantCulture);
        var r = await ImvProcess.RunAsync("twins", "list", "--cluster", "127.0.0.1:" + port, "--connect-timeout", "1");
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("127.0.0.1:" + port, r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_exits_0()
    {
        var r = await ImvProcess.RunAsync("--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("twins", r.Out, StringComparison.Ordinal);
    }
}
