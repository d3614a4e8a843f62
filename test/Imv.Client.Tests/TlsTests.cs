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
        using var ca = NewAuthority("Imv test cluster CA");
        using var stranger = NewAuthority("Someone else's CA");
        _caPem = Path.Combine(_dir, "ca.pem");
        await File.WriteAllTextAsync(_caPem, ca.ExportCertificatePem());
        _siloPfx = WritePfx(Issue(ca, "silo"), "silo.pfx", "silo-secret");
        _clientPfx = WritePfx(Issue(ca, "sdk-client"), "client.pfx", null);
        _strangerPfx = WritePfx(Issue(stranger, "intruder"), "stranger.pfx", null);
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
        ConnectTimeout = TimeSpan.FromSeconds(20),
        ResponseTimeout = TimeSpan.FromSeconds(10),
        Tls = tls,
    };

    private static X509Certificate2 NewAuthority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private static X509Certificate2 Issue(X509Certificate2 authority, string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        // Silos are server and client at once (they dial each other); SDK clients only need the client usage.
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        var serial = RandomNumberGenerator.GetBytes(12);
        using var issued = request.Create(authority, DateTimeOffset.UtcNow.AddDays(-1), new DateTimeOffset(authority.NotAfter).AddDays(-1), serial);
        return issued.CopyWithPrivateKey(key);
    }

    private string WritePfx(X509Certificate2 certificate, string fileName, string? password)
    {
        using (certificate)
        {
            var path = Path.Combine(_dir, fileName);
            File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
            return path;
        }
    }
}
