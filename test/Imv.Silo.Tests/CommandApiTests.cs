using System.Text.Json;
using Imv.Silo.Tests.Support;

namespace Imv.Silo.Tests;

[Collection(SharedSiloCollection.Name)]
public sealed class CommandApiTests(SharedSiloFixture fixture)
{
    private TestSilo Silo => fixture.Silo;
    private const string Worker = "worker.site-1.line-01.1";

    [Fact]
    public async Task A_command_goes_through_the_simulator_to_Applied()
    {
        const string twin = "site-1.line-01.machine-002";
        var created = await Silo.As(Worker).PostAsync($"/api/twins/{twin}/commands", new { issuer = Worker, tag = "speedSetpoint", value = 77.5 }, 201);
        var id = created.GetProperty("envelope").GetProperty("commandId").GetString()!;
        Assert.Contains(created.GetProperty("status").GetString(), new[] { "Delivered", "Applied" });

        JsonElement record = default;
        await TestSilo.EventuallyAsync(async () =>
        {
            record = await Silo.GetAsync("/api/commands/" + id);
            return record.GetProperty("status").GetString() == "Applied";
        }, "the command to be Applied");
        Assert.Equal(["Issued", "Delivered", "Applied"], record.GetProperty("transitions").EnumerateArray().Select(t => t.GetProperty("status").GetString()!).ToArray());
        Assert.Equal(twin, record.GetProperty("envelope").GetProperty("target").GetString());
        Assert.Equal(Worker, record.GetProperty("envelope").GetProperty("issuer").GetString());

        await TestSilo.EventuallyAsync(async () =>
        {
            var detail = await Silo.GetAsync("/api/twins/" + twin);
            return detail.GetProperty("tags").EnumerateArray().Any(t => t.GetProperty("name").GetString() == "speedSetpoint" && t.GetProperty("value").GetDouble() == 77.5);
        }, "the twin to read back the new setpoint");

        var list = await Silo.GetAsync($"/api/twins/{twin}/commands");
        Assert.Contains(list.GetProperty("items").EnumerateArray(), c => c.GetProperty("envelope").GetProperty("commandId").GetString() == id);
    }

    [Fact]
    public async Task A_method_call_with_wait_answers_when_applied_and_is_idempotent_on_its_id()
    {
        const string twin = "site-1.line-01.machine-003";
        var body = new { issuer = Worker, commandId = "test-start-1", method = "Start" };
        var first = await Silo.As(Worker).PostAsync($"/api/twins/{twin}/commands?wait=20", body, 201);
        Assert.Equal("Applied", first.GetProperty("status").GetString());
        var again = await Silo.As(Worker).PostAsync($"/api/twins/{twin}/commands", body, 201);
        Assert.Equal(first.GetProperty("envelope").GetProperty("issuedAt").GetString(), again.GetProperty("envelope").GetProperty("issuedAt").GetString());
        var elsewhere = await Silo.As(Worker).PostAsync("/api/twins/site-1.line-01.machine-001/commands", body, 409);
        Assert.Contains("test-start-1", elsewhere.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_interlock_violation_is_422_with_the_rejected_record()
    {
        var error = await Silo.As(Worker).PostAsync("/api/twins/site-1.line-01.machine-001/commands", new { issuer = Worker, tag = "temperatureSetpoint", value = 900 }, 422);
        Assert.Contains("interlock", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("maximum", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("Rejected", error.GetProperty("detail").GetProperty("status").GetString());
        var id = error.GetProperty("detail").GetProperty("envelope").GetProperty("commandId").GetString();
        var stored = await Silo.GetAsync("/api/commands/" + id);
        Assert.Equal("Rejected", stored.GetProperty("status").GetString());

        await Silo.As(Worker).PostAsync("/api/twins/site-1.line-01.machine-001/commands", new { issuer = Worker, method = "SelfDestruct" }, 422);
        await Silo.As(Worker).PostAsync("/api/twins/site-1.line-01.machine-001/commands", new { issuer = Worker, tag = "temperature", value = 20 }, 422);
    }

    [Fact]
    public async Task An_issuer_without_scope_is_403()
    {
        // The worker of line 1 may not command line 2's machines.
        var error = await Silo.As(Worker).PostAsync("/api/twins/site-1.line-02.machine-001/commands", new { issuer = Worker, method = "Stop" }, 403);
        Assert.Contains("issuer", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        // The issuer is the authenticated avatar: a body naming another is refused.
        var spoofed = await Silo.As(Worker).PostAsync("/api/twins/site-1.line-01.machine-001/commands", new { issuer = "manager", method = "Stop" }, 403);
        Assert.Equal("issuer", spoofed.GetProperty("detail").GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_scope_on_a_site_covers_its_lines_machines_and_a_refusal_names_the_path()
    {
        await Silo.PostAsync("/api/avatars", new { avatarId = "test.site-1.manager", displayName = "Site 1 manager", role = "Manager", scopes = new[] { "site-1" } }, 201);
        await Silo.PostAsync("/api/avatars", new { avatarId = "test.line-01.worker", displayName = "Line 1 worker", role = "Worker", scopes = new[] { "site-1.line-01" } }, 201);
        await Silo.As("test.site-1.manager").PostAsync("/api/twins/site-1.line-02.machine-003/commands", new { issuer = "test.site-1.manager", tag = "speedSetpoint", value = 60 }, 201);
        var error = await Silo.As("test.line-01.worker").PostAsync("/api/twins/site-1.line-02.machine-003/commands", new { issuer = "test.line-01.worker", tag = "speedSetpoint", value = 61 }, 403);
        var reason = error.GetProperty("error").GetString()!;
        Assert.Contains("avatar 'test.line-01.worker' may not command this twin", reason, StringComparison.Ordinal);
        Assert.Contains("[site-1.line-01]", reason, StringComparison.Ordinal);
        Assert.Contains("enterprise > site-1 > site-1.line-02", reason, StringComparison.Ordinal);
        var line = await Silo.GetAsync("/api/orgs/site-1.line-02");
        Assert.Equal(["enterprise", "site-1"], line.GetProperty("ancestors").EnumerateArray().Select(a => a.GetString()!).ToArray());
        // The planned supervisor and manager are scoped to the site and the enterprise only.
        await Silo.As("supervisor.site-1").PostAsync("/api/twins/site-1.line-02.machine-003/commands", new { issuer = "supervisor.site-1", tag = "speedSetpoint", value = 62 }, 201);
        await Silo.As("manager").PostAsync("/api/twins/site-1.line-02.machine-003/commands", new { issuer = "manager", tag = "speedSetpoint", value = 63 }, 201);
    }

    [Theory]
    [InlineData("{\"issuer\":\"manager\",")]
    [InlineData("not json")]
    [InlineData("{\"value\":1}")]
    [InlineData("{\"issuer\":\"manager\"}")]
    [InlineData("{\"issuer\":\"manager\",\"method\":\"Start\",\"tag\":\"speedSetpoint\",\"value\":1}")]
    [InlineData("{\"issuer\":\"manager\",\"tag\":\"speedSetpoint\"}")]
    [InlineData("{\"issuer\":\"manager\",\"method\":\"Start\",\"lifetimeSeconds\":-1}")]
    [InlineData("{\"issuer\":\"manager\",\"method\":\"Start\",\"issuerKind\":\"Robot\"}")]
    public async Task A_malformed_body_is_400(string body)
    {
        var error = await Silo.As("manager").PostAsync("/api/twins/site-1.line-01.machine-001/commands", body, 400);
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task An_unknown_command_is_404()
    {
        var error = await Silo.GetAsync("/api/commands/never-submitted", 404);
        Assert.Contains("never-submitted", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        await Silo.GetAsync("/api/commands/x?wait=abc", 400);
    }

    [Fact]
    public async Task A_lease_held_by_another_avatar_is_409_for_leases_and_commands()
    {
        const string twin = "site-1.line-02.machine-002";
        const string supervisor = "supervisor.site-1";
        const string other = "worker.site-1.line-02.1";
        var granted = await Silo.As(supervisor).PostAsync($"/api/twins/{twin}/lease", new { durationSeconds = 120 }, 200);
        Assert.True(granted.GetProperty("granted").GetBoolean());
        try
        {
            var lease = await Silo.GetAsync($"/api/twins/{twin}/lease");
            Assert.Equal(supervisor, lease.GetProperty("holder").GetString());

            var refused = await Silo.As(other).PostAsync($"/api/twins/{twin}/lease", new { }, 409);
            // A worker may not take a lease for someone else.
            await Silo.As(other).PostAsync($"/api/twins/{twin}/lease", new { avatarId = "worker.site-1.line-01.1" }, 403);
            Assert.Equal(supervisor, refused.GetProperty("detail").GetProperty("lease").GetProperty("holder").GetString());
            var command = await Silo.As(other).PostAsync($"/api/twins/{twin}/commands", new { issuer = other, method = "Stop" }, 409);
            Assert.Contains("lease", command.GetProperty("error").GetString(), StringComparison.Ordinal);
            // The holder still commands.
            await Silo.As(supervisor).PostAsync($"/api/twins/{twin}/commands", new { issuer = supervisor, tag = "speedSetpoint", value = 80 }, 201);

            await Silo.SendAsync(HttpMethod.Delete, $"/api/twins/{twin}/lease?avatarId={other}", null, 409);
            await Silo.As(other).SendAsync(HttpMethod.Delete, $"/api/twins/{twin}/lease", null, 409);
            // Without ?avatarId= the caller releases its own lease: the administrator holds none.
            await Silo.SendAsync(HttpMethod.Delete, $"/api/twins/{twin}/lease", null, 409);
            await Silo.PostAsync($"/api/twins/{twin}/lease", new { avatarId = "ghost" }, 404);
            await Silo.PostAsync($"/api/twins/{twin}/lease", new { avatarId = supervisor, durationSeconds = 0 }, 400);
        }
        finally
        {
            await Silo.SendAsync(HttpMethod.Delete, $"/api/twins/{twin}/lease?avatarId={supervisor}", null, 200);
        }
        await Silo.GetAsync($"/api/twins/{twin}/lease", 404);
        await Silo.As(other).PostAsync($"/api/twins/{twin}/commands", new { issuer = other, method = "Stop" }, 201);
    }
}
