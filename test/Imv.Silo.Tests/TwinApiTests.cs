using System.Text.Json;
using Imv.Silo.Tests.Support;

namespace Imv.Silo.Tests;

[Collection(SharedSiloCollection.Name)]
public sealed class TwinApiTests(SharedSiloFixture fixture)
{
    private TestSilo Silo => fixture.Silo;

    private static string[] Ids(JsonElement page) => [.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("twinId").GetString()!)];

    [Fact]
    public async Task Lists_every_twin_in_pages_ordered_by_id()
    {
        var first = await Silo.GetAsync("/api/twins?pageSize=4");
        Assert.Equal(6, first.GetProperty("total").GetInt32());
        Assert.Equal(1, first.GetProperty("page").GetInt32());
        var second = await Silo.GetAsync("/api/twins?page=2&pageSize=4");
        var all = Ids(first).Concat(Ids(second)).ToArray();
        Assert.Equal(6, all.Length);
        Assert.Equal(all.Order(StringComparer.Ordinal), all);
        Assert.Equal("site-1.line-01.machine-001", all[0]);
        var empty = await Silo.GetAsync("/api/twins?page=9&pageSize=4");
        Assert.Empty(empty.GetProperty("items").EnumerateArray());
        var far = await Silo.GetAsync("/api/twins?page=2147483647&pageSize=500");
        Assert.Empty(far.GetProperty("items").EnumerateArray());
        Assert.Equal(6, far.GetProperty("total").GetInt32());
    }

    [Theory]
    [InlineData("page=0", "page")]
    [InlineData("page=x", "page")]
    [InlineData("pageSize=0", "pageSize")]
    [InlineData("pageSize=501", "pageSize")]
    [InlineData("kind=robot", "kind")]
    [InlineData("alarm=maybe", "alarm")]
    [InlineData("state=dancing", "state")]
    public async Task Bad_query_parameters_are_400_naming_the_parameter(string query, string parameter)
    {
        var error = await Silo.GetAsync("/api/twins?" + query, 400);
        Assert.Contains($"'{parameter}'", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(parameter, error.GetProperty("detail").GetProperty("parameter").GetString());
    }

    [Fact]
    public async Task Filters_by_organization_including_the_organizations_below()
    {
        var line = await Silo.GetAsync("/api/twins?organization=site-1.line-02");
        Assert.Equal(["site-1.line-02.machine-001", "site-1.line-02.machine-002", "site-1.line-02.machine-003"], Ids(line));
        var site = await Silo.GetAsync("/api/twins?organization=site-1");
        Assert.Equal(6, site.GetProperty("total").GetInt32());
        var enterprise = await Silo.GetAsync("/api/twins?organization=enterprise&kind=equipment");
        Assert.Equal(6, enterprise.GetProperty("total").GetInt32());
        var products = await Silo.GetAsync("/api/twins?kind=Product");
        Assert.Equal(0, products.GetProperty("total").GetInt32());
        var unknown = await Silo.GetAsync("/api/twins?organization=atlantis", 404);
        Assert.Contains("atlantis", unknown.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Filters_by_alarm_state()
    {
        // Running machines are near 200 degC, above the fixture's 100 degC limit; idle ones cool to ambient.
        int active = 0, none = 0;
        await TestSilo.EventuallyAsync(async () =>
        {
            active = (await Silo.GetAsync("/api/twins?alarm=active")).GetProperty("total").GetInt32();
            none = (await Silo.GetAsync("/api/twins?alarm=none")).GetProperty("total").GetInt32();
            return active > 0 && active + none == 6;
        }, "some twins in alarm");
        var alarmed = await Silo.GetAsync("/api/twins?alarm=active&pageSize=10");
        foreach (var item in alarmed.GetProperty("items").EnumerateArray())
            Assert.True(item.GetProperty("activeAlarms").GetInt32() > 0);
        var alarms = await Silo.GetAsync("/api/alarms?organization=site-1");
        Assert.Contains(alarms.GetProperty("items").EnumerateArray(), a => a.GetProperty("tag").GetString() == "temperature" && a.GetProperty("level").GetString() == "High");
        var running = await Silo.GetAsync("/api/twins?state=running");
        Assert.True(running.GetProperty("total").GetInt32() > 0);
    }

    [Fact]
    public async Task Twin_detail_has_tags_status_and_configuration()
    {
        const string id = "site-1.line-01.machine-001";
        JsonElement twin = default;
        await TestSilo.EventuallyAsync(async () =>
        {
            twin = await Silo.GetAsync("/api/twins/" + id);
            return twin.GetProperty("tags").GetArrayLength() > 0 && twin.GetProperty("connectivity").GetString() == "Online";
        }, "the twin's first readings");
        Assert.Equal(id, twin.GetProperty("twinId").GetString());
        Assert.Equal("site-1.line-01", twin.GetProperty("organizationId").GetString());
        Assert.Equal("simulator", twin.GetProperty("gateway").GetString());
        Assert.Contains(twin.GetProperty("tags").EnumerateArray(), t => t.GetProperty("name").GetString() == "temperature" && t.GetProperty("value").ValueKind == JsonValueKind.Number);
        Assert.Contains(twin.GetProperty("methods").EnumerateArray(), m => m.GetProperty("name").GetString() == "Start");
        Assert.Equal(2, twin.GetProperty("alarmBands").GetArrayLength());
        Assert.NotEqual("Unknown", twin.GetProperty("status").GetProperty("state").GetString());

        var shadow = await Silo.GetAsync($"/api/twins/{id}/shadow");
        Assert.True(shadow.GetProperty("reported").TryGetProperty("temperature", out _));
        var alarms = await Silo.GetAsync($"/api/twins/{id}/alarms");
        Assert.Equal(JsonValueKind.Array, alarms.GetProperty("history").ValueKind);
    }

    [Fact]
    public async Task The_desired_shadow_changes_with_optimistic_concurrency()
    {
        const string id = "site-1.line-02.machine-003";
        var shadow = await Silo.GetAsync($"/api/twins/{id}/shadow");
        var changed = await Silo.SendAsync(HttpMethod.Put, $"/api/twins/{id}/shadow/desired", new { desired = new Dictionary<string, object> { ["speedSetpoint"] = 42.5 } }, 200);
        Assert.Equal(42.5, changed.GetProperty("desired").GetProperty("speedSetpoint").GetDouble());
        Assert.True(changed.GetProperty("version").GetInt64() > shadow.GetProperty("version").GetInt64());
        var conflict = await Silo.SendAsync(HttpMethod.Put, $"/api/twins/{id}/shadow/desired", new { desired = new Dictionary<string, object> { ["speedSetpoint"] = 50 }, expectedVersion = 0 }, 409);
        Assert.Contains("version", conflict.GetProperty("error").GetString(), StringComparison.Ordinal);
        await Silo.SendAsync(HttpMethod.Put, $"/api/twins/{id}/shadow/desired", new { expectedVersion = 0 }, 400);
        await Silo.SendAsync(HttpMethod.Put, "/api/twins/nope/shadow/desired", new { desired = new Dictionary<string, object> { ["a"] = 1 } }, 404);

        var status = await Silo.PostAsync($"/api/twins/{id}/oee/reset", null, 200);
        Assert.Equal(id, status.GetProperty("machineId").GetString());
    }

    [Fact]
    public async Task Organization_members_can_be_set_and_removed()
    {
        var members = await Silo.SendAsync(HttpMethod.Put, "/api/orgs/site-1.line-02/members/guest", new { role = "Viewer" }, 200);
        Assert.Contains(members.EnumerateArray(), m => m.GetProperty("memberId").GetString() == "guest" && m.GetProperty("role").GetString() == "Viewer");
        await Silo.SendAsync(HttpMethod.Delete, "/api/orgs/site-1.line-02/members/guest", null, 204);
        await Silo.SendAsync(HttpMethod.Delete, "/api/orgs/site-1.line-02/members/guest", null, 404);
        await Silo.SendAsync(HttpMethod.Put, "/api/orgs/site-1.line-02/members/guest", new { role = "King" }, 400);
        await Silo.SendAsync(HttpMethod.Put, "/api/orgs/atlantis/members/guest", new { role = "Viewer" }, 404);
    }

    [Fact]
    public async Task Unknown_twin_is_404_everywhere()
    {
        foreach (var path in new[] { "/api/twins/no-such-twin", "/api/twins/no-such-twin/alarms", "/api/twins/no-such-twin/shadow", "/api/twins/no-such-twin/commands", "/api/twins/no-such-twin/lease" })
        {
            var error = await Silo.GetAsync(path, 404);
            Assert.Contains("no-such-twin", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
        var post = await Silo.As("manager").PostAsync("/api/twins/no-such-twin/commands", new { issuer = "manager", method = "Start" }, 404);
        Assert.Equal("no-such-twin", post.GetProperty("detail").GetProperty("twinId").GetString());
    }

    [Fact]
    public async Task Unknown_route_answers_json_404()
    {
        var error = await Silo.GetAsync("/api/nothing-here", 404);
        Assert.Contains("/api/nothing-here", error.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Organization_aggregates_count_every_machine_below()
    {
        JsonElement enterprise = default;
        await TestSilo.EventuallyAsync(async () =>
        {
            enterprise = await Silo.GetAsync("/api/orgs/enterprise");
            var a = enterprise.GetProperty("aggregate");
            return a.GetProperty("machineCount").GetInt64() == 6 && a.GetProperty("unknown").GetInt64() == 0 && a.GetProperty("activeAlarms").GetInt64() > 0;
        }, "every machine reported to the enterprise");
        Assert.Equal("Enterprise", enterprise.GetProperty("kind").GetString());
        Assert.Equal(["site-1"], enterprise.GetProperty("childOrganizations").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Contains(enterprise.GetProperty("members").EnumerateArray(), m => m.GetProperty("memberId").GetString() == "manager");
        var agg = enterprise.GetProperty("aggregate");
        Assert.Equal(6, agg.GetProperty("running").GetInt64() + agg.GetProperty("idle").GetInt64() + agg.GetProperty("faulted").GetInt64() + agg.GetProperty("offline").GetInt64());

        var line = await Silo.GetAsync("/api/orgs/site-1.line-01");
        Assert.Equal("Line", line.GetProperty("kind").GetString());
        Assert.Equal("site-1", line.GetProperty("parentId").GetString());
        Assert.Equal(3, line.GetProperty("machines").GetArrayLength());
        Assert.Equal(3, line.GetProperty("aggregate").GetProperty("machineCount").GetInt64());

        var roots = await Silo.GetAsync("/api/orgs");
        Assert.Equal("enterprise", roots[0].GetProperty("id").GetString());
        await Silo.GetAsync("/api/orgs/atlantis", 404);
    }

    [Fact]
    public async Task Summary_reports_the_grid()
    {
        JsonElement summary = default;
        await TestSilo.EventuallyAsync(async () =>
        {
            summary = await Silo.GetAsync("/api/summary");
            return summary.GetProperty("twinsActive").GetInt64() == 6 && summary.GetProperty("updatesApplied").GetInt64() > 0;
        }, "the summary to show six active twins");
        Assert.Equal(6, summary.GetProperty("twinsKnown").GetInt32());
        Assert.Equal(Silo.DataFile, summary.GetProperty("dataFile").GetString());
        Assert.NotEmpty(summary.GetProperty("apiAddresses").EnumerateArray());
    }
}
