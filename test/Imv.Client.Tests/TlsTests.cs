using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Imv.Client.Connection;
using Imv.Silo.Tests.Support;

namespace Imv.Client.Tests;

/// <summary>A silo with <c>Silo:Tls</c>: the API over HTTPS with the silo's certificate, and Orleans' gateway
/// accepting only SDK clients whose certificate chains to the cluster's CA (mutual TLS), with certificates made here.</summary>
public sealed class TlsTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "imv-tls-tests", Guid.NewGuid().ToString("N"));
    private string _caPem = "", _siloPfx = "", _clientPfx = "", _strangerPfx = "";
    private TestSilo _silo = null!;
    private readonly int _gatewayPort = TestSilo.FreePort();
    private readonly int _siloPort = TestSilo.FreePort();

    public async Task InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(_dir);
        using var ca = TestCertificates.NewAuthority("Imv test cluster CA");
        using var stranger = TestCertificates.NewAuthority("Someone else's CA");
        _caPem = Path.Combine(_dir, "ca.pem");
        await File.WriteAllTextAsync(_caPem, ca.ExportCertificatePem());
        _siloPfx = TestCertificates.WritePfx(TestCertificates.Issue(ca, "silo"), Path.Combine(_dir, "silo.pfx"), "silo-secret");
        _clientPfx = TestCertificates.WritePfx(TestCertificates.Issue(ca, "sdk-client"), Path.Combine(_dir, "client.pfx"), null);
        _strangerPfx = TestCertificates.WritePfx(TestCertificates.Issue(stranger, "intruder"), Path.Combine(_dir, "stranger.pfx"), null);
        _silo = await TestSilo.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Silo:SiloPort"] = _siloPort.ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = _gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["Silo:Tls:CertificatePath"] = _siloPfx,
            ["Silo:Tls:CertificatePassword"] = "silo-secret",
            ["Silo:Tls:TrustedCaPath"] = _caPem,
        }, urls: "https://127.0.0.1:0");
    }

    public async Task DisposeAsync()
    {
        await _silo.DisposeAsync();
        try { System.IO.Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task The_api_answers_over_https_with_the_silos_certificate()
    {
        Assert.Equal("https", _silo.BaseAddress.Scheme);
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(_caPem);
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return certificate is not null && chain.Build(certificate) && certificate.Subject.Contains("CN=silo", StringComparison.Ordinal);
            },
        };
        using var https = new HttpClient(handler) { BaseAddress = _silo.BaseAddress };
        https.DefaultRequestHeaders.Add("X-Api-Key", _silo.AdminKey);
        var twins = await https.GetFromJsonAsync<JsonElement>("/api/twins");
        Assert.True(twins.GetProperty("total").GetInt32() > 0);

        // Plain HTTP to the same port gets no answer of the API.
        using var plain = new HttpClient { BaseAddress = new UriBuilder(_silo.BaseAddress) { Scheme = "http" }.Uri, Timeout = TimeSpan.FromSeconds(10) };
        // a reset connection or an error of Kestrel: both refuse, neither serves the API
        HttpResponseMessage? response = null;
        try { response = await plain.GetAsync(new Uri("/api/twins", UriKind.Relative)); }
        catch (HttpRequestException) { }
        using (response) if (response is not null) Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task An_sdk_client_with_a_certificate_of_the_clusters_ca_reads_a_twin()
    {
        var options = Options(new TlsSettings { CertificatePath = _clientPfx, TrustedCaPath = _caPem });
        await using var imv = await ImvClient.ConnectAsync(options);
        var twin = await imv.Twins.GetAsync("site-1.line-01.machine-001");
        Assert.NotNull(twin);
    }

    [Fact]
    public async Task An_sdk_client_without_a_certificate_or_with_a_foreign_one_is_refused()
    {
        var none = Options(new TlsSettings());
        none.ConnectTimeout = TimeSpan.FromSeconds(3);
        await Assert.ThrowsAsync<ClusterUnreachableException>(() => ImvClient.ConnectAsync(none));

        var foreign = Options(new TlsSettings { CertificatePath = _strangerPfx, TrustedCaPath = _caPem });
        foreign.ConnectTimeout = TimeSpan.FromSeconds(3);
        await Assert.ThrowsAsync<ClusterUnreachableException>(() => ImvClient.ConnectAsync(foreign));
    }

    [Fact]
    public void Tls_settings_name_every_problem()
    {
        var problems = new TlsSettings { CertificatePath = Path.Combine(_dir, "missing.pfx"), TrustedCaPath = Path.Combine(_dir, "missing.pem") }.Validate("Silo:Tls");
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Silo:Tls:CertificatePath", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Silo:Tls:TrustedCaPath", StringComparison.Ordinal));
        Assert.Single(new TlsSettings { TrustedCaPath = _caPem }.Validate("Client:Tls"));
        Assert.Empty(new TlsSettings { CertificatePath = _siloPfx, CertificatePassword = "silo-secret", TrustedCaPath = _caPem }.Validate("Silo:Tls"));
        var wrongPassword = new TlsSettings { CertificatePath = _siloPfx, CertificatePassword = "nope" }.Validate("Silo:Tls");
        Assert.Contains("cannot be loaded", Assert.Single(wrongPassword), StringComparison.Ordinal);
    }

    private ImvClientOptions Options(TlsSettings tls) => new()
    {
        Gateways = { "127.0.0.1:" + _gatewayPort.ToString(CultureInfo.InvariantCulture) },
        ApiKey = _silo.AdminKey,
        ConnectTimeout = TimeSpan.FromSeconds(20),
        ResponseTimeout = TimeSpan.FromSeconds(10),
        Tls = tls,
    };
}
