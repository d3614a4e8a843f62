using System.Text.Json;
using Imv.Silo.Tests.Support;

namespace Imv.Silo.Tests;

[Collection(SharedSiloCollection.Name)]
public sealed class GridApiTests(SharedSiloFixture fixture)
{
    private TestSilo Silo => fixture.Silo;

    [Fact]
    public async Task Identities_resolve_to_twins_and_avatars()
    {
        var handle = await Silo.GetAsync("/api/identities/88.100.1/site-1.line-02.machine-003");
        Assert.Equal("site-1.line-02.machine-003", handle.GetProperty("virtualId").GetString());
        Assert.Equal("Handle", handle.GetProperty("kind").GetString());
        Assert.Contains(handle.GetProperty("allIdentifiers").EnumerateArray(), i => i.GetString() == "did:imv:site-1.line-02.machine-003");

        var escaped = await Silo.GetAsync("/api/identities/88.100.1%2Fsite-1.line-01.machine-001");
        Assert.Equal("site-1.line-01.machine-001", escaped.GetProperty("virtualId").GetString());

        var did = await Silo.GetAsync("/api/identities/did:imv:manager");
        Assert.Equal("manager", did.GetProperty("virtualId").GetString());
        var employee = await Silo.GetAsync("/api/identities/emp:E0001");
        Assert.Equal("manager", employee.GetProperty("virtualId").GetString());

        await Silo.GetAsync("/api/identities/88.100.1/no-such-machine", 404);
        var invalid = await Silo.GetAsync("/api/identities/what-is-this", 400);
        Assert.Contains("identifier", invalid.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Identities_can_be_bound_once()
    {
        var created = await Silo.PostAsync("/api/identities", new { identifier = "rfid:3034F87C00000000000000AB", virtualId = "site-1.line-01.machine-002" }, 201);
        Assert.Equal("RfidEpc", created.GetProperty("kind").GetString());
        var resolved = await Silo.GetAsync("/api/identities/rfid:3034F87C00000000000000AB");
        Assert.Equal("site-1.line-01.machine-002", resolved.GetProperty("virtualId").GetString());
        await Silo.PostAsync("/api/identities", new { identifier = "rfid:3034F87C00000000000000AB", virtualId = "site-1.line-01.machine-003" }, 409);
        await Silo.PostAsync("/api/identities", new { identifier = "nonsense", virtualId = "x" }, 400);
        await Silo.PostAsync("/api/identities", new { identifier = "emp:E9999" }, 400);
    }

    [Fact]
    public async Task The_ledger_verifies()
    {
        var result = await Silo.GetAsync("/api/ledger/verify");
        Assert.True(result.GetProperty("isValid").GetBoolean());
        Assert.Equal(result.GetProperty("count").GetInt64(), result.GetProperty("head").GetProperty("count").GetInt64());
        var entries = await Silo.GetAsync("/api/ledger?from=0&count=10");
        Assert.Equal(JsonValueKind.Array, entries.GetProperty("entries").ValueKind);
        await Silo.GetAsync("/api/ledger?count=0", 400);
    }

    [Fact]
    public async Task Assets_mints_and_transfers_go_to_the_ledger()
    {
        var before = (await Silo.GetAsync("/api/ledger/verify")).GetProperty("count").GetInt64();
        var design = await Silo.PostAsync("/api/assets", new { assetId = "design-42", kind = "IntellectualProperty", name = "Mould design 42", boundTo = "site-1.line-01.machine-001", owner = "wallet.a" }, 201);
        Assert.Equal("wallet.a", design.GetProperty("owner").GetString());
        await Silo.PostAsync("/api/assets", new { assetId = "design-42", kind = "IntellectualProperty", name = "Another", boundTo = "x", owner = "wallet.b" }, 409);
        await Silo.PostAsync("/api/assets", new { assetId = "EUR", kind = "DigitalCurrency", name = "Euro", boundTo = "enterprise", owner = "treasury" }, 201);
        await Silo.PostAsync("/api/assets/EUR/mint", new { issuer = "treasury", walletId = "wallet.b", amount = 1000, mintId = "mint-1" }, 200);
        await Silo.PostAsync("/api/assets/EUR/mint", new { issuer = "wallet.b", walletId = "wallet.b", amount = 1000 }, 403);
        await Silo.PostAsync("/api/assets/design-42/mint", new { issuer = "wallet.a", walletId = "wallet.a", amount = 1 }, 422);
        await Silo.PostAsync("/api/assets/nothing/mint", new { issuer = "x", walletId = "y", amount = 1 }, 404);

        var paid = await Silo.PostAsync("/api/transfers", new { transferId = "pay-1", fromWallet = "wallet.b", toWallet = "wallet.a", assetId = "EUR", amount = 250, memo = "licence" }, 201);
        Assert.Equal("Completed", paid.GetProperty("status").GetString());
        var sold = await Silo.PostAsync("/api/transfers", new { transferId = "sell-1", fromWallet = "wallet.a", toWallet = "wallet.b", assetId = "design-42", amount = 1 }, 201);
        Assert.Equal("Completed", sold.GetProperty("status").GetString());
        var refused = await Silo.PostAsync("/api/transfers", new { transferId = "pay-2", fromWallet = "wallet.a", toWallet = "wallet.b", assetId = "EUR", amount = 100_000 }, 422);
        Assert.Equal("Rejected", refused.GetProperty("detail").GetProperty("status").GetString());
        Assert.Equal("Completed", (await Silo.GetAsync("/api/transfers/pay-1")).GetProperty("status").GetString());
        await Silo.GetAsync("/api/transfers/never", 404);

        var walletA = await Silo.GetAsync("/api/wallets/wallet.a");
        Assert.Equal(250, walletA.GetProperty("balances").GetProperty("EUR").GetInt64());
        var walletB = await Silo.GetAsync("/api/wallets/wallet.b");
        Assert.Contains(walletB.GetProperty("items").EnumerateArray(), i => i.GetString() == "design-42");
        Assert.Equal("wallet.b", (await Silo.GetAsync("/api/assets/design-42")).GetProperty("owner").GetString());

        var verify = await Silo.GetAsync("/api/ledger/verify");
        Assert.True(verify.GetProperty("isValid").GetBoolean());
        Assert.True(verify.GetProperty("count").GetInt64() >= before + 5);
    }

    [Fact]
    public async Task Avatars_register_open_sessions_and_supervise()
    {
        var avatars = await Silo.GetAsync("/api/avatars?pageSize=100");
        // A manager, one supervisor for the site, one worker per line.
        Assert.True(avatars.GetProperty("total").GetInt32() >= 4);
        var worker = await Silo.GetAsync("/api/avatars/worker.site-1.line-01.1");
        Assert.Equal("Worker", worker.GetProperty("profile").GetProperty("role").GetString());
        Assert.Equal(["supervisor.site-1"], worker.GetProperty("profile").GetProperty("supervisorIds").EnumerateArray().Select(e => e.GetString()!).ToArray());

        var created = await Silo.PostAsync("/api/avatars", new { avatarId = "test.worker", displayName = "Test worker", role = "Worker", scopes = new[] { "site-1.line-02" } }, 201);
        Assert.True(created.GetProperty("active").GetBoolean());
        var session = await Silo.PostAsync("/api/avatars/test.worker/sessions", new { device = "Hmd", deviceId = "hmd-17" }, 201);
        var sessionId = session.GetProperty("sessionId").GetString();
        var sessions = await Silo.GetAsync("/api/avatars/test.worker/sessions");
        Assert.Single(sessions.EnumerateArray());

        var supervised = await Silo.PostAsync("/api/avatars/supervisor.site-1/supervised", new { avatarId = "test.worker" }, 200);
        Assert.Contains(supervised.EnumerateArray(), v => v.GetProperty("profile").GetProperty("avatarId").GetString() == "test.worker");
        await Silo.PostAsync("/api/avatars/test.worker/supervised", new { avatarId = "worker.site-1.line-01.1" }, 409);

        // The new worker commands its line.
        await Silo.As("test.worker").PostAsync("/api/twins/site-1.line-02.machine-001/commands", new { issuer = "test.worker", tag = "speedSetpoint", value = 70 }, 201);

        await Silo.SendAsync(HttpMethod.Delete, $"/api/avatars/test.worker/sessions/{sessionId}", null, 204);
        await Silo.SendAsync(HttpMethod.Delete, $"/api/avatars/test.worker/sessions/{sessionId}", null, 404);
        var inactive = await Silo.SendAsync(HttpMethod.Put, "/api/avatars/test.worker/active", new { active = false }, 200);
        Assert.False(inactive.GetProperty("active").GetBoolean());
        await Silo.As("test.worker").PostAsync("/api/twins/site-1.line-02.machine-001/commands", new { issuer = "test.worker", method = "Start" }, 403);

        await Silo.GetAsync("/api/avatars/ghost", 404);
        await Silo.PostAsync("/api/avatars", new { avatarId = "dh", displayName = "Digital human", kind = "DigitalHuman" }, 400);
        await Silo.PostAsync("/api/avatars", new { displayName = "No id" }, 400);
        await Silo.PostAsync("/api/avatars", new { avatarId = "x", displayName = "x", role = "Emperor" }, 400);
    }

    [Fact]
    public async Task Control_loops_can_be_read_disabled_enabled_and_retuned()
    {
        var loops = await Silo.GetAsync("/api/loops");
        var loopId = loops.GetProperty("items").EnumerateArray().Select(l => l.GetProperty("loopId").GetString()!).First(l => l.StartsWith("loop.", StringComparison.Ordinal));

        JsonElement status = default;
        await TestSilo.EventuallyAsync(async () =>
        {
            status = await Silo.GetAsync("/api/loops/" + loopId);
            return status.GetProperty("iterationCount").GetInt64() > 0;
        }, "the loop to iterate");
        Assert.True(status.GetProperty("enabled").GetBoolean());
        Assert.Equal("temperature", status.GetProperty("configuration").GetProperty("measuredTag").GetString());

        var disabled = await Silo.PostAsync($"/api/loops/{loopId}/disable", null, 200);
        Assert.False(disabled.GetProperty("enabled").GetBoolean());
        var retuned = await Silo.SendAsync(HttpMethod.Put, $"/api/loops/{loopId}/setpoint", new { setpoint = 185.5 }, 200);
        Assert.Equal(185.5, retuned.GetProperty("configuration").GetProperty("setpoint").GetDouble());
        var iteration = await Silo.PostAsync($"/api/loops/{loopId}/run", null, 200);
        Assert.Equal(185.5, iteration.GetProperty("setpoint").GetDouble());
        var enabled = await Silo.PostAsync($"/api/loops/{loopId}/enable", null, 200);
        Assert.True(enabled.GetProperty("enabled").GetBoolean());

        await Silo.SendAsync(HttpMethod.Put, $"/api/loops/{loopId}/setpoint", new { value = 1 }, 400);

        // A new loop through the API: configured, authorized by its output twin, enabled, listed.
        var loop = new
        {
            measuredTwinId = "site-1.line-02.machine-002", measuredTag = "temperature", outputTwinId = "site-1.line-02.machine-002",
            outputTag = "temperatureSetpoint", setpoint = 195, law = "Pid", samplePeriod = "00:00:00.300",
            outputMinimum = 20, outputMaximum = 250, safeOutput = 20, pid = new { kp = 0.5, ki = 0.01, bias = 195 },
        };
        var created = await Silo.SendAsync(HttpMethod.Put, "/api/loops/test.loop", loop, 200);
        Assert.True(created.GetProperty("enabled").GetBoolean());
        var twin = await Silo.GetAsync("/api/twins/site-1.line-02.machine-002");
        Assert.Contains(twin.GetProperty("controlLoops").EnumerateArray(), l => l.GetString() == "test.loop");
        await TestSilo.EventuallyAsync(async () =>
        {
            var s = await Silo.GetAsync("/api/loops/test.loop");
            return s.GetProperty("history").EnumerateArray().Any(i => i.GetProperty("commandStatus").ValueKind == JsonValueKind.String
                && i.GetProperty("commandStatus").GetString() is "Delivered" or "Applied");
        }, "the new loop to command its twin");
        Assert.Contains((await Silo.GetAsync("/api/loops")).GetProperty("items").EnumerateArray(), l => l.GetProperty("loopId").GetString() == "test.loop");
        await Silo.SendAsync(HttpMethod.Put, "/api/loops/bad.loop", new { measuredTwinId = "site-1.line-02.machine-002", outputTwinId = "site-1.line-02.machine-002", samplePeriod = "00:00:00" }, 400);
        await Silo.SendAsync(HttpMethod.Put, "/api/loops/bad.loop", new { measuredTwinId = "nowhere", outputTwinId = "nowhere", measuredTag = "t", outputTag = "t" }, 404);
        await Silo.GetAsync("/api/loops/no-such-loop", 404);
        await Silo.PostAsync("/api/loops/no-such-loop/enable", null, 404);
    }
}
