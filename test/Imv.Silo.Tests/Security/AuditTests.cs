using Imv.Grains.Assets;
using Imv.Grains.Interfaces.Assets;
using Imv.Silo.Audit;
using Imv.Silo.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Imv.Silo.Tests.Security;

/// <summary>The audit log: every change (command, lease, configuration, key) and every refused request is recorded
/// with who, what, when, from where and the status, hash-chained; an edited entry is detected and named; only
/// regulators and administrators read it.</summary>
public sealed class AuditTests : IAsyncLifetime
{
    private const int LedgerEndpointsMax = 1000;
    private TestSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await TestSilo.StartAsync(settings: new Dictionary<string, string?> { ["Plant:ControlLoopShare"] = "0" });

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task Changes_and_refusals_are_recorded_hash_chained_and_an_edit_is_named()
    {
        const string worker = "worker.site-1.line-01.1";
        await _silo.As(worker).PostAsync("/api/twins/site-1.line-01.machine-001/commands", new { tag = "speedSetpoint", value = 70 }, 201);
        await _silo.As(worker).PostAsync("/api/twins/site-1.line-01.machine-002/lease", new { durationSeconds = 30 }, 200);
        await _silo.As(worker).SendAsync(HttpMethod.Put, "/api/twins/site-1.line-01.machine-001/shadow/desired", new { desired = new { speedSetpoint = 1 } }, 403);
        var key = await _silo.PostAsync("/api/keys", new { avatarId = "manager", name = "audited" }, 201);
        await _silo.SendAsync(HttpMethod.Delete, "/api/keys/" + key.GetProperty("keyId").GetString(), null, 200);
        using (var anonymous = _silo.Anonymous()) await anonymous.GetAsync("/api/twins", 401);
        await _silo.Services.GetRequiredService<AuditLog>().FlushedAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var page = await _silo.GetAsync("/api/audit?count=1000");
        var entries = page.GetProperty("entries").EnumerateArray().ToList();
        string Row(System.Text.Json.JsonElement e) => $"{e.GetProperty("who").GetString()} {e.GetProperty("what").GetString()} {e.GetProperty("status").GetInt64()}";
        var rows = entries.Select(Row).ToList();
        Assert.Contains($"{worker} POST /api/twins/site-1.line-01.machine-001/commands 201", rows);
        Assert.Contains($"{worker} POST /api/twins/site-1.line-01.machine-002/lease 200", rows);
        Assert.Contains($"{worker} PUT /api/twins/site-1.line-01.machine-001/shadow/desired 403", rows);
        Assert.Contains("admin POST /api/keys 201", rows);
        Assert.Contains(rows, r => r.StartsWith("admin DELETE /api/keys/", StringComparison.Ordinal) && r.EndsWith(" 200", StringComparison.Ordinal));
        var refused = entries.Single(e => Row(e) == "(anonymous) GET /api/twins 401");
        Assert.Contains("no credentials", refused.GetProperty("via").GetString(), StringComparison.Ordinal);
        Assert.Equal("127.0.0.1", refused.GetProperty("from").GetString());
        var command = entries.First(e => Row(e).StartsWith(worker + " POST", StringComparison.Ordinal));
        Assert.StartsWith("key:", command.GetProperty("via").GetString(), StringComparison.Ordinal);

        var verify = await _silo.GetAsync("/api/audit/verify");
        Assert.True(verify.GetProperty("isValid").GetBoolean());
        Assert.Equal(entries.Count, verify.GetProperty("count").GetInt64());

        // Only regulators and administrators read it.
        await _silo.As(worker).GetAsync("/api/audit", 403);
        var regulator = await _silo.AsNewAsync("audit.regulator", "Regulator");
        await regulator.GetAsync("/api/audit?from=0&count=5");
        await regulator.GetAsync("/api/audit?count=0", 400);

        // Someone with access to the storage edits an entry (the command's avatar): the chain names it.
        var grains = _silo.Services.GetRequiredService<IGrainFactory>();
        await _silo.Services.GetRequiredService<AuditLog>().FlushedAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var stored = await grains.GetGrain<ILedgerGrain>(LedgerNames.Audit).GetEntriesAsync(0, LedgerEndpointsMax);
        var last = stored[^1];
        var forged = last with { Record = last.Record with { From = "someone-else" } };
        await grains.GetGrain<ILedgerSegmentGrain>(LedgerSegments.SegmentKey(LedgerNames.Audit, last.Index / LedgerSegments.Capacity)).PutAsync(forged);
        var broken = await _silo.GetAsync("/api/audit/verify");
        Assert.False(broken.GetProperty("isValid").GetBoolean());
        Assert.Equal(last.Index, broken.GetProperty("badIndex").GetInt64());
        Assert.Equal(last.Record.EntryId, broken.GetProperty("badEntryId").GetString());
        Assert.False(string.IsNullOrWhiteSpace(broken.GetProperty("problem").GetString()));
    }
}
