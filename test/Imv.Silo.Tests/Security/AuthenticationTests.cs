using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using Imv.Silo.Tests.Support;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Imv.Silo.Tests.Security;

/// <summary>Authentication at the edge: API keys (hashed at rest, created and revoked by an administrator, shown
/// once) and JWT bearer tokens from a configured issuer and key file; every refusal is 401 with the reason in words.</summary>
public sealed class AuthenticationTests : IAsyncLifetime
{
    private const string Issuer = "https://idp.test.example";
    private const string Audience = "imv-api";
    private readonly RSA _signer = RSA.Create(2048);
    private readonly RSA _stranger = RSA.Create(2048);
    private TestSilo _silo = null!;

    public async Task InitializeAsync()
    {
        var dir = Path.GetDirectoryName(TestSilo.NewDataFile())!;
        var keyFile = Path.Combine(dir, "issuer.pem");
        await File.WriteAllTextAsync(keyFile, _signer.ExportSubjectPublicKeyInfoPem());
        _silo = await TestSilo.StartAsync(Path.Combine(dir, "imv.db"), new Dictionary<string, string?>
        {
            ["Auth:Jwt:Issuer"] = Issuer,
            ["Auth:Jwt:Audience"] = Audience,
            ["Auth:Jwt:SigningKeyFile"] = keyFile,
        });
    }

    public async Task DisposeAsync()
    {
        await _silo.DisposeAsync();
        _signer.Dispose();
        _stranger.Dispose();
    }

    private static string Token(RSA? key, string subject = "manager", DateTime? expires = null, string audience = Audience, string issuer = Issuer)
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", subject)]),
            NotBefore = DateTime.UtcNow.AddMinutes(-10),
            Expires = expires ?? DateTime.UtcNow.AddMinutes(10),
            IssuedAt = DateTime.UtcNow.AddMinutes(-10),
        };
        if (key is not null) descriptor.SigningCredentials = new SigningCredentials(new RsaSecurityKey(key), SecurityAlgorithms.RsaSha256);
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    private async Task<(HttpStatusCode Status, string Body)> GetWithAsync(string path, Action<HttpRequestMessage> credentials)
    {
        using var anonymous = _silo.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        credentials(request);
        using var response = await anonymous.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Without_credentials_every_route_but_health_is_401_with_the_reason()
    {
        using var anonymous = _silo.Anonymous();
        foreach (var path in new[] { "/api/twins", "/api/me", "/api/keys", "/api/ledger", "/api/nothing-here", "/dashboard" })
        {
            var error = await anonymous.GetAsync(path, 401);
            Assert.Contains("no credentials", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
        await anonymous.PostAsync("/api/twins/site-1.line-01.machine-001/commands", new { issuer = "manager", method = "Stop" }, 401);
        await anonymous.PostAsync("/api/avatars", new { avatarId = "intruder", displayName = "x", role = "Administrator" }, 401);
        await anonymous.GetAsync("/api/health");
    }

    [Fact]
    public async Task An_administrator_creates_a_key_shown_once_that_acts_as_its_avatar_until_revoked()
    {
        var created = await _silo.PostAsync("/api/keys", new { avatarId = "supervisor.site-1", name = "tablet 7" }, 201);
        var key = created.GetProperty("key").GetString()!;
        var keyId = created.GetProperty("keyId").GetString()!;
        Assert.StartsWith("imv_" + keyId + "_", key, StringComparison.Ordinal);
        using var client = new ApiClient(_silo.BaseAddress, key, "supervisor.site-1");
        var me = await client.GetAsync("/api/me");
        Assert.Equal("supervisor.site-1", me.GetProperty("avatarId").GetString());
        Assert.Equal("Supervisor", me.GetProperty("role").GetString());
        Assert.Equal("key:" + keyId, me.GetProperty("via").GetString());

        // Listed without its text; the text is not stored (only its SHA-256).
        var list = (await _silo.GetAsync("/api/keys")).GetRawText();
        Assert.Contains(keyId, list, StringComparison.Ordinal);
        Assert.DoesNotContain(key, list, StringComparison.Ordinal);
        // Everything after "imv_<id>_": the secret is base64url, whose alphabet has '_' too (splitting on '_' searched
        // the files for a few characters only, which random bytes sometimes hold).
        var secret = System.Text.Encoding.ASCII.GetBytes(key[("imv_" + keyId + "_").Length..]);
        Assert.Equal(43, secret.Length);
        foreach (var file in System.IO.Directory.EnumerateFiles(Path.GetDirectoryName(_silo.DataFile)!).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)))
        {
            byte[] bytes;
            using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            using (var copy = new MemoryStream()) { await stream.CopyToAsync(copy); bytes = copy.ToArray(); }
            Assert.True(bytes.AsSpan().IndexOf(secret) < 0, $"the key's secret is stored in {file}");
        }

        // Only an administrator creates and revokes keys: 403 naming the right.
        var refused = await client.PostAsync("/api/keys", new { avatarId = "supervisor.site-1" }, 403);
        Assert.Contains("'Administer'", refused.GetProperty("error").GetString(), StringComparison.Ordinal);
        await client.SendAsync(HttpMethod.Delete, "/api/keys/" + keyId, null, 403);
        await _silo.PostAsync("/api/keys", new { avatarId = "ghost" }, 404);

        var revoked = await _silo.SendAsync(HttpMethod.Delete, "/api/keys/" + keyId, null, 200);
        Assert.Equal("admin", revoked.GetProperty("revokedBy").GetString());
        var error = await client.GetAsync("/api/me", 401);
        Assert.Contains("revoked", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        await _silo.SendAsync(HttpMethod.Delete, "/api/keys/no-such-key", null, 404);

        var (status, body) = await GetWithAsync("/api/me", r => r.Headers.Add("X-Api-Key", "imv_0000000000000000_forged"));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("not known", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_first_administrator_key_is_beside_the_data_file_readable_by_its_owner_only()
    {
        var file = TestSilo.AdminKeyFileOf(_silo.DataFile);
        Assert.Equal(_silo.AdminKey, (await File.ReadAllTextAsync(file)).Trim());
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var me = await _silo.GetAsync("/api/me");
        Assert.Equal("Administrator", me.GetProperty("role").GetString());
    }

    [Fact]
    public async Task A_signed_token_from_the_configured_issuer_acts_as_its_subject()
    {
        var (status, body) = await GetWithAsync("/api/me", r => r.Headers.Authorization = new("Bearer", Token(_signer)));
        Assert.True(status == HttpStatusCode.OK, body);
        Assert.Contains("\"avatarId\":\"manager\"", body, StringComparison.Ordinal);
        Assert.Contains("\"via\":\"jwt\"", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("expired", "expired")]
    [InlineData("stranger", "signed with a key this grid does not know")]
    [InlineData("unsigned", "not signed")]
    [InlineData("audience", "another audience")]
    [InlineData("issuer", "issuer")]
    [InlineData("garbage", "well-formed")]
    public async Task A_bad_token_is_401_with_the_reason_in_words(string kind, string reason)
    {
        var token = kind switch
        {
            "expired" => Token(_signer, expires: DateTime.UtcNow.AddMinutes(-5)),
            "stranger" => Token(_stranger),
            "unsigned" => Token(null),
            "audience" => Token(_signer, audience: "someone-else"),
            "issuer" => Token(_signer, issuer: "https://evil.example"),
            _ => "not.a.token",
        };
        var (status, body) = await GetWithAsync("/api/twins", r => r.Headers.Authorization = new("Bearer", token));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains(reason, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_valid_token_for_an_unknown_or_inactive_avatar_is_403()
    {
        var (status, body) = await GetWithAsync("/api/me", r => r.Headers.Authorization = new("Bearer", Token(_signer, subject: "nobody")));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("'nobody', which is not registered", body, StringComparison.Ordinal);
        await _silo.PostAsync("/api/avatars", new { avatarId = "auth.leaver", displayName = "Leaver", role = "Worker" }, 201);
        await _silo.SendAsync(HttpMethod.Put, "/api/avatars/auth.leaver/active", new { active = false }, 200);
        (status, body) = await GetWithAsync("/api/me", r => r.Headers.Authorization = new("Bearer", Token(_signer, subject: "auth.leaver")));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("inactive", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_web_page_logs_in_with_a_key_into_an_http_only_cookie()
    {
        using var handler = new HttpClientHandler { CookieContainer = new CookieContainer() };
        using var browser = new HttpClient(handler) { BaseAddress = _silo.BaseAddress };
        using (var bad = await browser.PostAsync(new Uri("/api/login", UriKind.Relative), System.Net.Http.Json.JsonContent.Create(new { apiKey = "imv_nope" })))
            Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        using (var login = await browser.PostAsync(new Uri("/api/login", UriKind.Relative), System.Net.Http.Json.JsonContent.Create(new { apiKey = _silo.AdminKey })))
        {
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            var cookie = string.Join(";", login.Headers.GetValues("Set-Cookie"));
            Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        }
        using (var me = await browser.GetAsync(new Uri("/api/me", UriKind.Relative)))
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        using (await browser.DeleteAsync(new Uri("/api/login", UriKind.Relative))) { }
        using (var after = await browser.GetAsync(new Uri("/api/me", UriKind.Relative)))
            Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }
}
