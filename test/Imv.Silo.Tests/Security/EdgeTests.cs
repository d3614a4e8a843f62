using System.Text;
using System.Text.Json;
using Imv.Silo.Tests.Support;

namespace Imv.Silo.Tests.Security;

/// <summary>The edge is consistent: one id rule for every id, enums by name only, every error JSON naming the field,
/// documented ranges enforced, sizes limited before anything is stored, unknown ids leave no activation.</summary>
[Collection(SharedSiloCollection.Name)]
public sealed class EdgeTests(SharedSiloFixture fixture)
{
    private TestSilo Silo => fixture.Silo;

    private static async Task<(int Status, JsonElement Body)> SendRawAsync(HttpClient client, HttpMethod method, string path, string? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        // As a client uploading a large body does: the server's answer first (a refusal of an oversized body closes the
        // connection; a client still writing the body would see a broken pipe instead of the 413).
        if (body is { Length: > 64 * 1024 }) request.Headers.ExpectContinue = true;
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.False(string.IsNullOrEmpty(text), $"{method} {path}: {(int)response.StatusCode} with an empty body");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return ((int)response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Theory]
    [InlineData("x/y", "'/'")]
    [InlineData("..", "'..'")]
    [InlineData("a\u0000b", "control character")]
    [InlineData("a b", "white space")]
    [InlineData("", "empty")]
    public async Task Every_id_follows_one_rule_named_in_the_error(string id, string named)
    {
        var avatar = await Silo.PostAsync("/api/avatars", new { avatarId = id, displayName = "x" }, 400);
        Assert.Contains(id.Length == 0 ? "avatarId" : named, avatar.GetProperty("error").GetString(), StringComparison.Ordinal);
        var asset = await Silo.PostAsync("/api/assets", new { assetId = id.Length == 0 ? "ok" : id, kind = "VirtualProperty", name = "n", boundTo = "b", owner = id.Length == 0 ? "" : "o" }, 400);
        Assert.False(string.IsNullOrEmpty(asset.GetProperty("detail").GetProperty("field").GetString()));
        await Silo.As("worker.site-1.line-01.1").PostAsync("/api/twins/site-1.line-01.machine-001/commands", new { commandId = id.Length == 0 ? "\u0001" : id, method = "Start" }, 400);
    }

    [Fact]
    public async Task Long_and_odd_ids_in_paths_answer_json_naming_the_parameter()
    {
        var longId = new string('a', 10_000);
        foreach (var path in new[] { "/api/avatars/" + longId, "/api/twins/" + longId, "/api/twins/x%2Fy", "/api/loops/a%20b", "/api/assets/a%09b" })
        {
            var (status, body) = await SendRawAsync(Silo.Client, HttpMethod.Get, path, null);
            Assert.True(status == 400, $"{path[..Math.Min(60, path.Length)]}: {status} {body}");
            Assert.Equal("id", body.GetProperty("detail").GetProperty("parameter").GetString());
        }
    }

    [Theory]
    [InlineData("/api/avatars", "{\"avatarId\":\"e.role\",\"displayName\":\"x\",\"role\":2}", "role", "Worker, Supervisor, Manager, Engineer, Regulator, SupplierGuest, Administrator")]
    [InlineData("/api/avatars/worker.site-1.line-01.1/sessions", "{\"device\":99,\"deviceId\":\"d\"}", "device", "Hmd, SmartGlasses, Ar, Vr, Haptic")]
    [InlineData("/api/avatars", "{\"avatarId\":\"e.kind\",\"displayName\":\"x\",\"kind\":\"Robot\"}", "kind", "User, DigitalHuman")]
    [InlineData("/api/avatars", "{\"avatarId\":\"e.scopes\",\"displayName\":\"x\",\"scopes\":\"site-1\"}", "scopes", "an array")]
    [InlineData("/api/avatars", "{\"avatarId\":5,\"displayName\":\"x\"}", "avatarId", "a string")]
    public async Task Enums_are_accepted_by_name_only_and_errors_name_the_field_and_allowed_values(string path, string body, string field, string named)
    {
        var (status, error) = await SendRawAsync(Silo.Client, HttpMethod.Post, path, body);
        Assert.Equal(400, status);
        Assert.Equal(field, error.GetProperty("detail").GetProperty("field").GetString());
        var text = error.GetProperty("error").GetString()!;
        Assert.Contains(named, text, StringComparison.Ordinal);
        Assert.DoesNotContain("Imv.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Documented_ranges_are_enforced()
    {
        const string twin = "site-1.line-01.machine-002";
        var lease = await Silo.As("worker.site-1.line-01.1").PostAsync($"/api/twins/{twin}/lease", new { durationSeconds = 86_400 }, 400);
        Assert.Contains("43200", lease.GetProperty("error").GetString(), StringComparison.Ordinal);
        var loop = new
        {
            measuredTwinId = twin, measuredTag = "temperature", outputTwinId = twin, outputTag = "temperatureSetpoint", setpoint = 9999, law = "Pid",
            samplePeriod = "00:00:01", outputMinimum = 20, outputMaximum = 250, safeOutput = 20, pid = new { kp = 0.5, ki = 0.01, bias = 195 },
        };
        var setpoint = await Silo.SendAsync(HttpMethod.Put, "/api/loops/edge.loop", loop, 400);
        Assert.Equal("setpoint", setpoint.GetProperty("detail").GetProperty("field").GetString());
        var period = await Silo.SendAsync(HttpMethod.Put, "/api/loops/edge.loop", new
        {
            loop.measuredTwinId, loop.measuredTag, loop.outputTwinId, loop.outputTag, setpoint = 190, loop.law, samplePeriod = "00:00:00.001",
            loop.outputMinimum, loop.outputMaximum, loop.safeOutput, loop.pid,
        }, 400);
        Assert.Equal("samplePeriod", period.GetProperty("detail").GetProperty("field").GetString());
        await Silo.GetAsync("/api/loops/edge.loop", 404);
        var unknownTag = await Silo.SendAsync(HttpMethod.Put, $"/api/twins/{twin}/shadow/desired", new { desired = new { noSuchTag = 1 } }, 400);
        Assert.Equal("desired.noSuchTag", unknownTag.GetProperty("detail").GetProperty("field").GetString());
        var infinite = await Silo.SendAsync(HttpMethod.Put, $"/api/twins/{twin}/shadow/desired", "{\"desired\":{\"speedSetpoint\":\"Infinity\"}}", 400);
        Assert.Equal("desired.speedSetpoint", infinite.GetProperty("detail").GetProperty("field").GetString());
    }

    [Fact]
    public async Task Oversized_bodies_and_values_are_refused_before_anything_is_stored()
    {
        const string twin = "site-1.line-02.machine-003";
        var worker = Silo.As("worker.site-1.line-02.1");
        // Loops command the shared silo's twins too: count this worker's commands only.
        async Task<int> MineAsync() => (await Silo.GetAsync($"/api/twins/{twin}/commands?pageSize=500")).GetProperty("items").EnumerateArray()
            .Count(c => c.GetProperty("envelope").GetProperty("issuer").GetString() == "worker.site-1.line-02.1");
        var before = await MineAsync();
        var (status, body) = await SendRawAsync(worker.Http, HttpMethod.Post, $"/api/twins/{twin}/commands",
            "{\"tag\":\"speedSetpoint\",\"value\":\"" + new string('x', 2 * 1024 * 1024) + "\"}");
        Assert.Equal(413, status);
        Assert.False(string.IsNullOrEmpty(body.GetProperty("error").GetString()));
        var longString = await worker.PostAsync($"/api/twins/{twin}/commands", new { tag = "speedSetpoint", value = new string('x', 100_000) }, 400);
        Assert.Equal("value", longString.GetProperty("detail").GetProperty("field").GetString());
        var longArray = await worker.PostAsync($"/api/twins/{twin}/commands", new { tag = "speedSetpoint", value = new int[20_000] }, 400);
        Assert.Contains("20000 elements", longArray.GetProperty("error").GetString(), StringComparison.Ordinal);
        await worker.PostAsync($"/api/twins/{twin}/commands", new { method = "Start", arguments = new int[100] }, 400);
        Assert.Equal(before, await MineAsync());
    }

    [Fact]
    public async Task Lookups_of_unknown_ids_leave_no_lasting_activations()
    {
        async Task<int> ActivationsAsync() => (await Silo.GetAsync("/api/health")).GetProperty("activations").GetInt32();
        int before = await ActivationsAsync();
        await Parallel.ForEachAsync(Enumerable.Range(0, 2000), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var path = (i % 4) switch
            {
                0 => "/api/twins/ghost-twin-" + i,
                1 => "/api/avatars/ghost-avatar-" + i,
                2 => "/api/loops/ghost-loop-" + i,
                _ => "/api/assets/ghost-asset-" + i,
            };
            using var response = await Silo.Client.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        });
        int after = 0;
        await TestSilo.EventuallyAsync(async () => (after = await ActivationsAsync()) < before + 200, $"the activations of 2,000 unknown ids to go (before {before})");
    }
}
