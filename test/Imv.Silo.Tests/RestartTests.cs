using System.Text.Json;
using Imv.Silo.Tests.Support;

namespace Imv.Silo.Tests;

public sealed class RestartTests
{
    private const string Twin = "site-1.line-01.machine-001";
    private const string Worker = "worker.site-1.line-01.1";

    private static double TagValue(JsonElement twin, string tag) =>
        twin.GetProperty("tags").EnumerateArray().First(t => t.GetProperty("name").GetString() == tag).GetProperty("value").GetDouble();

    [Fact]
    public async Task A_restart_on_the_same_file_keeps_commands_values_and_settings()
    {
        var dataFile = TestSilo.NewDataFile();
        string commandId;
        double partCountBefore;
        long appliedBefore;
        string loopId;
        string headHash;
        long ledgerCount;

        await using (var first = await TestSilo.StartAsync(dataFile))
        {
            var applied = await first.As(Worker).PostAsync($"/api/twins/{Twin}/commands?wait=20", new { issuer = Worker, tag = "speedSetpoint", value = 95 }, 201);
            Assert.Equal("Applied", applied.GetProperty("status").GetString());
            commandId = applied.GetProperty("envelope").GetProperty("commandId").GetString()!;
            JsonElement twin = default;
            await TestSilo.EventuallyAsync(async () =>
            {
                twin = await first.GetAsync("/api/twins/" + Twin);
                return TagValue(twin, "speedSetpoint") == 95 && TagValue(twin, "partCount") > 0;
            }, "the setpoint read back and parts made");
            partCountBefore = TagValue(twin, "partCount");
            appliedBefore = twin.GetProperty("appliedCount").GetInt64();

            loopId = (await first.GetAsync("/api/loops")).GetProperty("items")[0].GetProperty("loopId").GetString()!;
            Assert.StartsWith("loop.", loopId, StringComparison.Ordinal);
            await first.PostAsync($"/api/loops/{loopId}/disable", null, 200);
            await first.SendAsync(HttpMethod.Put, $"/api/loops/{loopId}/setpoint", new { setpoint = 190 }, 200);

            await first.PostAsync("/api/assets", new { assetId = "USD", kind = "DigitalCurrency", name = "Dollar", boundTo = "enterprise", owner = "treasury" }, 201);
            await first.PostAsync("/api/assets/USD/mint", new { issuer = "treasury", walletId = "w1", amount = 500, mintId = "m1" }, 200);
            await first.PostAsync("/api/transfers", new { transferId = "t1", fromWallet = "w1", toWallet = "w2", assetId = "USD", amount = 120 }, 201);
            await first.PostAsync("/api/avatars", new { avatarId = "restart.avatar", displayName = "Created before the restart", scopes = new[] { Twin } }, 201);
            await first.SendAsync(HttpMethod.Put, "/api/loops/restart.loop?enable=false", new
            {
                measuredTwinId = Twin, measuredTag = "temperature", outputTwinId = Twin, outputTag = "temperatureSetpoint", setpoint = 199,
                law = "OnOff", samplePeriod = "00:00:01", outputMinimum = 20, outputMaximum = 250, safeOutput = 20, onOff = new { hysteresis = 2, onOutput = 210, offOutput = 190 },
            }, 200);
            var verify = await first.GetAsync("/api/ledger/verify");
            ledgerCount = verify.GetProperty("count").GetInt64();
            headHash = verify.GetProperty("head").GetProperty("headHash").GetString()!;
            Assert.Equal(3, ledgerCount);
        }

        // Without the simulator nothing new arrives: what the twin holds is what was stored before the stop.
        await using (var second = await TestSilo.StartAsync(dataFile, new Dictionary<string, string?> { ["Simulator:Enabled"] = "false" }))
        {
            var record = await second.GetAsync("/api/commands/" + commandId);
            Assert.Equal("Applied", record.GetProperty("status").GetString());
            Assert.Equal(3, record.GetProperty("transitions").GetArrayLength());
            var twin = await second.GetAsync("/api/twins/" + Twin);
            Assert.Equal(95, TagValue(twin, "speedSetpoint"));
            Assert.True(TagValue(twin, "partCount") >= partCountBefore);
            Assert.True(twin.GetProperty("appliedCount").GetInt64() >= appliedBefore);
            Assert.Equal("Offline", twin.GetProperty("connectivity").GetString());
            var loop = await second.GetAsync("/api/loops/" + loopId);
            Assert.False(loop.GetProperty("enabled").GetBoolean());
            Assert.Equal(190, loop.GetProperty("configuration").GetProperty("setpoint").GetDouble());
            var verify = await second.GetAsync("/api/ledger/verify");
            Assert.True(verify.GetProperty("isValid").GetBoolean());
            Assert.Equal(ledgerCount, verify.GetProperty("count").GetInt64());
            Assert.Equal(headHash, verify.GetProperty("head").GetProperty("headHash").GetString());
            Assert.Equal(380, (await second.GetAsync("/api/wallets/w1")).GetProperty("balances").GetProperty("USD").GetInt64());
            Assert.Equal("Completed", (await second.GetAsync("/api/transfers/t1")).GetProperty("status").GetString());
            var identity = await second.GetAsync("/api/identities/88.100.1/" + Twin);
            Assert.Equal(Twin, identity.GetProperty("virtualId").GetString());
        }

        // With the simulator again: the bootstrap runs once more and keeps what users changed.
        await using (var third = await TestSilo.StartAsync(dataFile))
        {
            var avatars = await third.GetAsync("/api/avatars?pageSize=500");
            Assert.Contains(avatars.GetProperty("items").EnumerateArray(), a => a.GetProperty("avatarId").GetString() == "restart.avatar");
            var loops = await third.GetAsync("/api/loops?pageSize=500");
            Assert.Contains(loops.GetProperty("items").EnumerateArray(), l => l.GetProperty("loopId").GetString() == "restart.loop");
            var twinConfig = await third.GetAsync("/api/twins/" + Twin);
            Assert.Contains(twinConfig.GetProperty("controlLoops").EnumerateArray(), l => l.GetString() == "restart.loop");
            var loop = await third.GetAsync("/api/loops/" + loopId);
            Assert.False(loop.GetProperty("enabled").GetBoolean());
            Assert.Equal(190, loop.GetProperty("configuration").GetProperty("setpoint").GetDouble());
            var record = await third.GetAsync("/api/commands/" + commandId);
            Assert.Equal("Applied", record.GetProperty("status").GetString());
            await TestSilo.EventuallyAsync(async () =>
                (await third.GetAsync("/api/twins/" + Twin)).GetProperty("connectivity").GetString() == "Online", "the twin back online");
            var org = await third.GetAsync("/api/orgs/enterprise");
            Assert.Equal(6, org.GetProperty("aggregate").GetProperty("machineCount").GetInt64());
        }
    }
}
