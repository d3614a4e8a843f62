using Imv.Grains.Interfaces.Access;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;
using Imv.Silo.Tests.Support;

namespace Imv.Client.Tests;

/// <summary>Issue 11 under issue 15's rule: an SDK client reaches the grains only with an API key of the grid, and
/// only with the rights of the key's avatar (its role in its scopes), as the HTTP API does. Each test connects a
/// client of its own with the key it is about, to the silo of the collection.</summary>
[Collection(SiloCollection.Name)]
public sealed class AuthenticationTests(SiloWithClient fixture)
{
    private const string LineOne = "site-1.line-01.machine-001";
    private const string LineTwo = "site-1.line-02.machine-002";

    private Task<ImvClient> ConnectAsync(string? key) => ImvClient.ConnectAsync(SiloWithClient.Options(fixture.GatewayPort, key));

    /// <summary>Registers <paramref name="avatarId"/> with <paramref name="role"/> and <paramref name="scopes"/> and creates a key for it.</summary>
    private async Task<(string Key, string KeyId)> NewKeyAsync(string avatarId, string role, params string[] scopes)
    {
        await fixture.Silo.Admin.PostAsync("/api/avatars", new { avatarId, displayName = avatarId, role, scopes }, 201);
        var created = await fixture.Silo.Admin.PostAsync("/api/keys", new { avatarId, name = "sdk test" }, 201);
        return (created.GetProperty("key").GetString()!, created.GetProperty("keyId").GetString()!);
    }

    private async Task<int> CommandCountAsync(string twinId) => (await fixture.Silo.Admin.GetAsync($"/api/twins/{twinId}/commands")).GetProperty("total").GetInt32();

    private static CommandRequest Stop(string id, string issuer = "") => new(id, IssuerKind.Avatar, issuer, null, "Stop", default);

    [Fact]
    public async Task Without_a_key_every_call_is_refused_naming_the_missing_key()
    {
        await using var imv = await ConnectAsync(null);
        var e = await Assert.ThrowsAsync<ImvAccessDeniedException>(() => imv.Twins.GetAsync(LineOne));
        Assert.Equal(AccessDenial.MissingKey, e.Denial);
        Assert.Contains("missing API key", e.Message, StringComparison.Ordinal);
        Assert.Contains("Client:ApiKey", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ImvAccessDeniedException>(() => imv.Twins.WatchAsync(LineOne));
    }

    [Fact]
    public async Task An_unknown_key_is_refused_and_a_revoked_one_stops_working_within_the_stated_bound()
    {
        await using (var stranger = await ConnectAsync("imv_0123456789abcdef_thisisnotakeyofthisgrid0000000000"))
        {
            var e = await Assert.ThrowsAsync<ImvAccessDeniedException>(() => stranger.Twins.GetAsync(LineOne));
            Assert.Equal(AccessDenial.UnknownKey, e.Denial);
            Assert.Contains("unknown API key", e.Message, StringComparison.Ordinal);
        }

        var (key, keyId) = await NewKeyAsync("sdk-revoked-reader", "Regulator");
        await using var imv = await ConnectAsync(key);
        Assert.NotNull(await imv.Twins.GetAsync(LineOne));
        await fixture.Silo.Admin.SendAsync(HttpMethod.Delete, "/api/keys/" + keyId, null, 200);
        var revokedAt = DateTime.UtcNow;
        ImvAccessDeniedException? refused = null;
        await TestSilo.EventuallyAsync(async () =>
        {
            try { await imv.Twins.GetAsync(LineOne); return false; }
            catch (ImvAccessDeniedException e) { refused = e; return true; }
        }, "the revoked key refused", TimeSpan.FromSeconds(10));
        Assert.Equal(AccessDenial.UnknownKey, refused!.Denial);
        // The bound docs/sdk.md states: a silo reads the keys again at most ApiKeyStore.MaxAge (2 s) after its last read.
        Assert.True(DateTime.UtcNow - revokedAt < Imv.Silo.Security.ApiKeyStore.MaxAge + TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task A_viewer_reads_a_twin_but_its_command_is_refused_before_the_twin()
    {
        var (key, _) = await NewKeyAsync("sdk-viewer", "Regulator");
        await using var imv = await ConnectAsync(key);
        Assert.NotNull(await imv.Twins.GetAsync(LineOne));
        Assert.NotNull(await imv.Organizations.TreeAsync());
        await using (var watch = await imv.Twins.WatchAsync(LineOne)) Assert.NotNull((await watch.ReadAsync()).State);

        int before = await CommandCountAsync(LineOne);
        var e = await Assert.ThrowsAsync<ImvAccessDeniedException>(() => imv.Commands.SendAsync(LineOne, Stop("sdk-viewer-stop")));
        Assert.Equal(AccessDenial.Forbidden, e.Denial);
        Assert.Equal(Right.Command, e.Right);
        Assert.Contains("does not have the right 'Command'", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, await CommandCountAsync(LineOne));
        Assert.Null(await imv.Commands.GetAsync(LineOne, "sdk-viewer-stop"));

        // The grid's own paths are not for clients, whatever the role.
        var ingest = await Assert.ThrowsAsync<ImvAccessDeniedException>(() => imv.Twins.Grain(LineOne).IngestAsync(new TagBatch([])).AsTask());
        Assert.Equal(AccessDenial.SiloOnly, ingest.Denial);
    }

    [Fact]
    public async Task An_operator_commands_its_line_as_itself_but_not_another_line_nor_in_another_name()
    {
        var (key, _) = await NewKeyAsync("sdk-operator-line02", "Worker", "site-1.line-02");
        await using var imv = await ConnectAsync(key);

        var applied = await imv.Commands.SendAndFollowAsync(LineTwo, new CommandRequest("sdk-op-speed", IssuerKind.Avatar, "", "speedSetpoint", null, TagValue.FromDouble(66)),
            null, TimeSpan.FromSeconds(30));
        Assert.Equal(CommandDeliveryStatus.Applied, applied.Status);
        Assert.Equal("sdk-operator-line02", applied.Envelope.Issuer);

        int before = await CommandCountAsync(LineOne);
        var scope = await Assert.ThrowsAsync<ImvAccessDeniedException>(() => imv.Commands.SendAsync(LineOne, Stop("sdk-op-elsewhere")));
        Assert.Equal(AccessDenial.Forbidden, scope.Denial);
        Assert.Equal(LineOne, scope.Target);
        Assert.Contains("site-1.line-02", scope.Message, StringComparison.Ordinal);
        Assert.Equal(before, await CommandCountAsync(LineOne));

        var other = await Assert.ThrowsAsync<ImvAccessDeniedException>(() => imv.Commands.SendAsync(LineTwo, Stop("sdk-op-as-manager", "manager")));
        Assert.Equal(AccessDenial.Issuer, other.Denial);
        Assert.Null(await imv.Commands.GetAsync(LineTwo, "sdk-op-as-manager"));
    }

    [Fact]
    public async Task The_administrator_commands_anywhere_and_the_audit_log_holds_the_sdk_command()
    {
        var record = await fixture.Imv.Commands.SendAsync(LineOne, new CommandRequest("sdk-admin-audited", IssuerKind.Avatar, "", "speedSetpoint", null, TagValue.FromDouble(72)));
        Assert.NotEqual(CommandDeliveryStatus.Rejected, record.Status);
        Assert.Equal("admin", record.Envelope.Issuer);

        // Answered means audited: the entry is in the log once the call returned.
        long count = (await fixture.Silo.Admin.GetAsync("/api/audit?count=1")).GetProperty("head").GetProperty("count").GetInt64();
        var audit = await fixture.Silo.Admin.GetAsync($"/api/audit?count=1000&from={Math.Max(0, count - 1000)}");
        var entries = audit.GetProperty("entries").EnumerateArray().ToList();
        var entry = Assert.Single(entries, e => e.GetProperty("what").GetString()!.Contains("(command sdk-admin-audited)", StringComparison.Ordinal));
        Assert.Equal("admin", entry.GetProperty("who").GetString());
        Assert.Contains("SubmitCommandAsync", entry.GetProperty("what").GetString(), StringComparison.Ordinal);
        Assert.Equal(200, entry.GetProperty("status").GetInt32());
        Assert.StartsWith("key:", entry.GetProperty("via").GetString(), StringComparison.Ordinal);
        Assert.True((await fixture.Silo.Admin.GetAsync("/api/audit/verify")).GetProperty("isValid").GetBoolean());
    }
}
