using System.Text;
using Imv.Silo.Tests.Support;

namespace Imv.Silo.Tests.Security;

/// <summary>The whole matrix of role x operation x target in or out of the avatar's scopes, each cell's expected
/// status written below. Every avatar here has the scopes <c>site-1.line-01</c> (and the asset <c>mx.shared</c>);
/// "in" targets lie in line 1, "out" targets in line 2.</summary>
public sealed class AuthorizationMatrixTests : IAsyncLifetime
{
    private static readonly string[] Roles = ["Worker", "Supervisor", "Manager", "Engineer", "Regulator", "SupplierGuest", "Administrator"];
    private TestSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await TestSilo.StartAsync();

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    /// <summary>One operation: what to send for a target in scope (true) or out of scope (false), and the expected
    /// status per role as "in/out" in the order of <see cref="Roles"/>.</summary>
    private sealed record Operation(string Name, Func<ApiClient, string, bool, Task<int>> Send, params string[] Expected);

    private static async Task<int> StatusAsync(ApiClient client, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null) request.Content = System.Net.Http.Json.JsonContent.Create(body);
        using var response = await client.Http.SendAsync(request);
        return (int)response.StatusCode;
    }

    /// <summary>The status of an event stream: read once its headers arrived (the stream itself never ends).</summary>
    private static async Task<int> LiveStatusAsync(ApiClient client, string path)
    {
        using var response = await client.Http.GetAsync(new Uri(path, UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        return (int)response.StatusCode;
    }

    private static string Twin(bool inScope, int machine) => $"site-1.line-0{(inScope ? 1 : 2)}.machine-00{machine}";

    private static readonly Operation[] Operations =
    [
        //                                                                                                   Worker     Supervisor  Manager    Engineer   Regulator  SupplierGuest Administrator
        new("read a twin", (c, _, i) => StatusAsync(c, HttpMethod.Get, "/api/twins/" + Twin(i, 1)),          "200/200", "200/200", "200/200", "200/200", "200/200", "200/403", "200/200"),
        new("follow an organization live", (c, _, i) => LiveStatusAsync(c, $"/api/live?org=site-1.line-0{(i ? 1 : 2)}"),
                                                                                                               "200/200", "200/200", "200/200", "200/200", "200/200", "200/403", "200/200"),
        new("follow a twin live", (c, _, i) => LiveStatusAsync(c, "/api/live?twin=" + Twin(i, 2)),        "200/200", "200/200", "200/200", "200/200", "200/200", "200/403", "200/200"),
        new("list twins", (c, _, _) => StatusAsync(c, HttpMethod.Get, "/api/twins"),                           "200/200", "200/200", "200/200", "200/200", "200/200", "403/403", "200/200"),
        new("read an asset", (c, _, i) => StatusAsync(c, HttpMethod.Get, "/api/assets/" + (i ? "mx.shared" : "mx.private")),
                                                                                                               "200/200", "200/200", "200/200", "200/200", "200/200", "200/403", "200/200"),
        new("command a twin", (c, _, i) => StatusAsync(c, HttpMethod.Post, $"/api/twins/{Twin(i, 1)}/commands", new { tag = "speedSetpoint", value = 60 }),
                                                                                                               "201/403", "201/403", "201/403", "403/403", "403/403", "403/403", "201/201"),
        new("take own lease", async (c, _, i) =>
        {
            int status = await StatusAsync(c, HttpMethod.Post, $"/api/twins/{Twin(i, 2)}/lease", new { durationSeconds = 30 });
            if (status == 200) Assert.Equal(200, await StatusAsync(c, HttpMethod.Delete, $"/api/twins/{Twin(i, 2)}/lease"));
            return status;
        },                                                                                                     "200/403", "200/403", "200/403", "403/403", "403/403", "403/403", "200/200"),
        new("take another's lease", async (c, _, i) =>
        {
            var holder = i ? "worker.site-1.line-01.1" : "worker.site-1.line-02.1";
            int status = await StatusAsync(c, HttpMethod.Post, $"/api/twins/{Twin(i, 3)}/lease", new { avatarId = holder, durationSeconds = 30 });
            if (status == 200) Assert.Equal(200, await StatusAsync(c, HttpMethod.Delete, $"/api/twins/{Twin(i, 3)}/lease?avatarId={holder}"));
            return status;
        },                                                                                                     "403/403", "200/403", "200/403", "403/403", "403/403", "403/403", "200/200"),
        new("set desired values", (c, _, i) => StatusAsync(c, HttpMethod.Put, $"/api/twins/{Twin(i, 1)}/shadow/desired", new { desired = new { speedSetpoint = 55 } }),
                                                                                                               "403/403", "403/403", "403/403", "200/403", "403/403", "403/403", "200/200"),
        new("retune a loop", (c, _, i) => StatusAsync(c, HttpMethod.Put, $"/api/loops/mx.loop.{(i ? "in" : "out")}/setpoint", new { setpoint = 190 }),
                                                                                                               "403/403", "403/403", "403/403", "200/403", "403/403", "403/403", "200/200"),
        new("create a loop", (c, role, i) => StatusAsync(c, HttpMethod.Put, $"/api/loops/mx.new.{role}.{i}?enable=false", Loop(Twin(i, 3))),
                                                                                                               "403/403", "403/403", "403/403", "200/403", "403/403", "403/403", "200/200"),
        new("delete a loop", (c, role, i) => StatusAsync(c, HttpMethod.Delete, $"/api/loops/mx.del.{role}.{i}"),
                                                                                                               "403/403", "403/403", "403/403", "204/403", "403/403", "403/403", "204/204"),
        new("reset OEE", (c, _, i) => StatusAsync(c, HttpMethod.Post, $"/api/twins/{Twin(i, 1)}/oee/reset"),
                                                                                                               "403/403", "403/403", "200/403", "403/403", "403/403", "403/403", "200/200"),
        new("set a member", (c, _, i) => StatusAsync(c, HttpMethod.Put, $"/api/orgs/site-1.line-0{(i ? 1 : 2)}/members/mx.member", new { role = "Viewer" }),
                                                                                                               "403/403", "403/403", "200/403", "403/403", "403/403", "403/403", "200/200"),
        new("open own session", (c, role, i) => StatusAsync(c, HttpMethod.Post, $"/api/avatars/{(i ? "mx." + role : "manager")}/sessions", new { device = "Hmd", deviceId = "hmd-" + role }),
                                                                                                               "201/403", "201/403", "201/403", "201/403", "201/403", "403/403", "201/201"),
        new("read the ledger", (c, _, _) => StatusAsync(c, HttpMethod.Get, "/api/ledger/verify"),             "403/403", "403/403", "200/200", "403/403", "200/200", "403/403", "200/200"),
        new("register an asset", (c, role, i) => StatusAsync(c, HttpMethod.Post, "/api/assets", new { assetId = $"mx.asset.{role}.{i}", kind = "VirtualProperty", name = "x", boundTo = Twin(i, 1), owner = "w" }),
                                                                                                               "403/403", "403/403", "201/201", "403/403", "403/403", "403/403", "201/201"),
        new("read personal data", (c, role, i) => StatusAsync(c, HttpMethod.Get, $"/api/avatars/{(i ? "mx." + role : "manager")}/personal"),
                                                                                                               "200/403", "200/403", "200/403", "200/403", "200/403", "200/403", "200/200"),
        new("correct personal data", (c, role, i) => StatusAsync(c, HttpMethod.Put, $"/api/avatars/{(i ? "mx." + role : "manager")}/personal", new { name = "Renamed " + role }),
                                                                                                               "200/403", "200/403", "200/403", "200/403", "200/403", "200/403", "200/200"),
        new("erase personal data", (c, role, i) => StatusAsync(c, HttpMethod.Delete, $"/api/avatars/{(i ? "mx." + role : "manager")}/personal"),
                                                                                                               "200/403", "200/403", "200/403", "200/403", "200/403", "200/403", "200/200"),
        new("register an avatar", (c, role, i) => StatusAsync(c, HttpMethod.Post, "/api/avatars", new { avatarId = $"mx.made.{role}.{i}", displayName = "x" }),
                                                                                                               "403/403", "403/403", "403/403", "403/403", "403/403", "403/403", "201/201"),
        new("bind an identity", (c, role, i) => StatusAsync(c, HttpMethod.Post, "/api/identities", new { identifier = $"emp:MX{Array.IndexOf(Roles, role)}{(i ? 1 : 2)}", virtualId = "manager" }),
                                                                                                               "403/403", "403/403", "403/403", "403/403", "403/403", "403/403", "201/201"),
        new("list API keys", (c, _, _) => StatusAsync(c, HttpMethod.Get, "/api/keys"),                        "403/403", "403/403", "403/403", "403/403", "403/403", "403/403", "200/200"),
        new("say who I am", (c, _, _) => StatusAsync(c, HttpMethod.Get, "/api/me"),                           "200/200", "200/200", "200/200", "200/200", "200/200", "200/200", "200/200"),
    ];

    private static object Loop(string twin) => new
    {
        measuredTwinId = twin, measuredTag = "temperature", outputTwinId = twin, outputTag = "temperatureSetpoint", setpoint = 195, law = "Pid",
        samplePeriod = "00:00:01", outputMinimum = 20, outputMaximum = 250, safeOutput = 20, pid = new { kp = 0.5, ki = 0.01, bias = 195 },
    };

    [Fact]
    public async Task Every_role_gets_the_expected_status_for_every_operation_in_and_out_of_scope()
    {
        foreach (var (id, twin) in new[] { ("mx.loop.in", Twin(true, 3)), ("mx.loop.out", Twin(false, 3)) })
            await _silo.SendAsync(HttpMethod.Put, $"/api/loops/{id}?enable=false", Loop(twin), 200);
        await _silo.PostAsync("/api/assets", new { assetId = "mx.shared", kind = "VirtualProperty", name = "shared", boundTo = "x", owner = "w" }, 201);
        await _silo.PostAsync("/api/assets", new { assetId = "mx.private", kind = "VirtualProperty", name = "private", boundTo = "y", owner = "w" }, 201);
        var clients = new Dictionary<string, ApiClient>();
        foreach (var role in Roles)
        {
            clients[role] = await _silo.AsNewAsync("mx." + role, role, "site-1.line-01", "mx.shared");
            foreach (var inScope in new[] { true, false })
                await _silo.SendAsync(HttpMethod.Put, $"/api/loops/mx.del.{role}.{inScope}?enable=false", Loop(Twin(inScope, 3)), 200);
        }

        var wrong = new StringBuilder();
        int cells = 0;
        foreach (var op in Operations)
        {
            Assert.Equal(Roles.Length, op.Expected.Length);
            for (int r = 0; r < Roles.Length; r++)
            {
                var expected = op.Expected[r].Split('/');
                foreach (var (inScope, want) in new[] { (true, expected[0]), (false, expected[1]) })
                {
                    int got = await op.Send(clients[Roles[r]], Roles[r], inScope);
                    cells++;
                    if (got.ToString(System.Globalization.CultureInfo.InvariantCulture) != want)
                        wrong.AppendLine($"{op.Name} as {Roles[r]} {(inScope ? "in" : "out of")} scope: expected {want}, got {got}");
                }
            }
        }
        Assert.True(wrong.Length == 0, $"{cells} cells, these differ:\n{wrong}");
        Assert.Equal(Operations.Length * Roles.Length * 2, cells);
    }

    [Fact]
    public async Task A_refusal_names_the_missing_right_and_the_scope()
    {
        var engineer = await _silo.AsNewAsync("mx2.engineer", "Engineer", "site-1.line-01");
        var refused = await engineer.PostAsync("/api/twins/site-1.line-01.machine-001/commands", new { method = "Stop" }, 403);
        Assert.Contains("does not have the right 'Command'", refused.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("Command", refused.GetProperty("detail").GetProperty("right").GetString());
        var outOfScope = await engineer.SendAsync(HttpMethod.Put, "/api/twins/site-1.line-02.machine-001/shadow/desired", new { desired = new { speedSetpoint = 50 } }, 403);
        var text = outOfScope.GetProperty("error").GetString()!;
        Assert.Contains("'Configure' only within its scopes ([site-1.line-01])", text, StringComparison.Ordinal);
        Assert.Contains("enterprise > site-1 > site-1.line-02", text, StringComparison.Ordinal);

        var guest = await _silo.AsNewAsync("mx2.guest", "SupplierGuest", "site-1.line-01");
        var live = await guest.GetAsync("/api/live?org=site-1.line-02", 403);
        var why = live.GetProperty("error").GetString()!;
        Assert.Contains("'Read' only within its scopes ([site-1.line-01])", why, StringComparison.Ordinal);
        Assert.Contains("organization 'site-1.line-02'", why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deleted_loop_leaves_its_twins_authorized_loops_and_the_listing()
    {
        const string twin = "site-1.line-02.machine-002";
        await _silo.SendAsync(HttpMethod.Put, "/api/loops/mx.gone", Loop(twin), 200);
        Assert.Contains((await _silo.GetAsync("/api/twins/" + twin)).GetProperty("controlLoops").EnumerateArray(), l => l.GetString() == "mx.gone");
        await _silo.SendAsync(HttpMethod.Delete, "/api/loops/mx.gone", null, 204);
        Assert.DoesNotContain((await _silo.GetAsync("/api/twins/" + twin)).GetProperty("controlLoops").EnumerateArray(), l => l.GetString() == "mx.gone");
        await _silo.GetAsync("/api/loops/mx.gone", 404);
        Assert.DoesNotContain((await _silo.GetAsync("/api/loops?pageSize=500")).GetProperty("items").EnumerateArray(), l => l.GetProperty("loopId").GetString() == "mx.gone");
        await _silo.SendAsync(HttpMethod.Delete, "/api/loops/mx.gone", null, 404);
    }

    [Fact]
    public async Task A_request_for_another_host_is_refused_with_json()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/health", UriKind.Relative));
        request.Headers.Host = "rebound.attacker.example";
        using var response = await _silo.Client.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("rebound.attacker.example", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        request.Dispose();
        using var local = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/health", UriKind.Relative));
        local.Headers.Host = "localhost";
        using var ok = await _silo.Client.SendAsync(local);
        Assert.Equal(System.Net.HttpStatusCode.OK, ok.StatusCode);
    }
}
