using System.Security.Cryptography.X509Certificates;
using Imv.Gateways.OpcUa.Client;
using Imv.Gateways.OpcUa.Encoding;
using Imv.Gateways.OpcUa.Transport;
using Xunit;

namespace Imv.OpcUa.Tests;

/// <summary>Basic256Sha256 Sign and SignAndEncrypt against the node-opcua PLC.</summary>
[Collection(PlcCollection.Name)]
public sealed class SecurityTests(PlcFixture plc) : IDisposable
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly string _pki = Path.Combine(Path.GetTempPath(), "imv-opcua-pki-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_pki, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing was created.
        }
    }

    private UaSecurityOptions Security(MessageSecurityMode mode, bool autoAccept = true) => new()
    {
        Mode = mode,
        PkiPath = _pki,
        AutoAcceptUntrustedServerCertificate = autoAccept,
    };

    private async Task<UaClient> ConnectAsync(MessageSecurityMode mode, TimeSpan? channelLifetime = null, string? user = null, UaSecurityOptions? security = null)
    {
        var client = new UaClient(new UaClientOptions
        {
            EndpointUrl = plc.EndpointUrl,
            Security = security ?? Security(mode),
            ChannelLifetime = channelLifetime ?? TimeSpan.FromMinutes(10),
            UserName = user,
            Password = user is null ? null : "secret",
        });
        try
        {
            await client.ConnectAsync(Ct);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
        return client;
    }

    private static NodeId Plc(string id) => new(id, 1);

    [Theory]
    [InlineData(MessageSecurityMode.Sign)]
    [InlineData(MessageSecurityMode.SignAndEncrypt)]
    public async Task Connects_reads_and_writes_over_a_secured_channel(MessageSecurityMode mode)
    {
        await using var client = await ConnectAsync(mode);
        Assert.True(client.IsConnected);
        Assert.Equal(SecurityPolicyBasic256Sha256.PolicyUri, client.Channel!.Policy.Uri);
        Assert.Equal(mode, client.Channel.Policy.Mode);
        var state = await client.ReadValueAsync(WellKnownNodes.ServerState, Ct);
        Assert.Equal(0, Convert.ToInt32(state.Value.Value, System.Globalization.CultureInfo.InvariantCulture));
        var node = Plc("Types.Double");
        var value = Variant.From(mode == MessageSecurityMode.Sign ? 12.25 : 42.5);
        Assert.Equal("Good", StatusCode.NameOf(await client.WriteValueAsync(node, value, Ct)));
        Assert.Equal(value, (await client.ReadValueAsync(node, Ct)).Value);
    }

    [Theory]
    [InlineData(MessageSecurityMode.Sign)]
    [InlineData(MessageSecurityMode.SignAndEncrypt)]
    public async Task Subscribes_and_receives_data_changes_over_a_secured_channel(MessageSecurityMode mode)
    {
        await using var client = await ConnectAsync(mode);
        var node = Plc("Types.Analog");
        var subscription = await client.CreateSubscriptionAsync(50, 300, 10, 0, Ct);
        var items = await client.CreateMonitoredItemsAsync(subscription.SubscriptionId, [new MonitoredItemRequest(node, 7, 20, 10)], Ct);
        Assert.Equal("Good", StatusCode.NameOf(items[0].StatusCode));
        var target = 30 + Random.Shared.Next(1, 50) + 0.5;
        Assert.Equal(StatusCode.Good, await client.WriteValueAsync(node, Variant.From(target), Ct));
        var acks = new List<SubscriptionAcknowledgement>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        var seen = false;
        while (!seen && DateTime.UtcNow < deadline)
        {
            var result = await client.PublishAsync(acks.ToArray(), TimeSpan.FromSeconds(10), Ct);
            acks.Clear();
            if (result.Message.NotificationData.Length > 0)
                acks.Add(new SubscriptionAcknowledgement(result.SubscriptionId, result.Message.SequenceNumber));
            foreach (var data in result.Message.NotificationData)
                if (data.Decoded is DataChangeNotification changes)
                    foreach (var item in changes.MonitoredItems.Span)
                        if (item.ClientHandle == 7 && item.Value.Value.TryGetDouble(out var v) && v == target) seen = true;
        }
        Assert.True(seen, $"the data change to {target} arrived");
        Assert.Equal(StatusCode.Good, (await client.DeleteSubscriptionsAsync([subscription.SubscriptionId], Ct))[0]);
    }

    [Fact]
    public async Task A_read_larger_than_many_encrypted_chunks_arrives_whole()
    {
        await using var client = await ConnectAsync(MessageSecurityMode.SignAndEncrypt);
        var big = await client.ReadValueAsync(Plc("Big"), Ct);
        var values = Assert.IsType<double[]>(big.Value.Value);
        Assert.Equal(100000, values.Length);
        Assert.Equal(99999.0, values[^1]);
        Assert.True(values.Length * 8 > client.Channel!.LocalLimits.ReceiveBufferSize * 4);
        // A request that needs several chunks on the way out, too (4,500 x about 25 bytes).
        var many = Enumerable.Range(0, 4500).Select(i => new ReadValueId(Plc("Big"), Attributes.BrowseName)).ToArray();
        var results = await client.ReadAsync(many, Ct);
        Assert.Equal(4500, results.Length);
        Assert.All(results, r => Assert.Equal(StatusCode.Good, r.StatusCode));
    }

    [Fact]
    public async Task The_token_is_renewed_under_SignAndEncrypt_with_new_keys()
    {
        await using var client = await ConnectAsync(MessageSecurityMode.SignAndEncrypt, TimeSpan.FromSeconds(3));
        var channel = client.Channel!;
        var policy = Assert.IsType<SecurityPolicyBasic256Sha256>(channel.Policy);
        var firstToken = channel.TokenId;
        var firstKey = policy.ClientSigningKeyOf(firstToken);
        Assert.NotNull(firstKey);
        var deadline = DateTime.UtcNow + channel.TokenLifetime * 3 + TimeSpan.FromSeconds(5);
        var keys = new Dictionary<uint, byte[]> { [firstToken] = firstKey! };
        while (channel.RenewCount < 2 && DateTime.UtcNow < deadline)
        {
            Assert.Equal(StatusCode.Good, (await client.ReadValueAsync(WellKnownNodes.ServerState, Ct)).StatusCode);
            if (policy.ClientSigningKeyOf(channel.TokenId) is { } key) keys.TryAdd(channel.TokenId, key);
            await Task.Delay(50);
        }
        Assert.True(channel.RenewCount >= 2, $"renewed {channel.RenewCount} times");
        Assert.True(channel.IsOpen);
        Assert.NotEqual(firstToken, channel.TokenId);
        Assert.True(keys.Count >= 2, "keys of at least two tokens were seen");
        Assert.Equal(keys.Count, keys.Values.Select(Convert.ToHexString).Distinct().Count());
        Assert.Equal(StatusCode.Good, (await client.ReadValueAsync(WellKnownNodes.ServerState, Ct)).StatusCode);
    }

    [Fact]
    public async Task A_user_name_session_runs_over_SignAndEncrypt()
    {
        await using var client = await ConnectAsync(MessageSecurityMode.SignAndEncrypt, user: "operator");
        Assert.True(client.IsConnected);
        var bad = new UaClient(new UaClientOptions
        {
            EndpointUrl = plc.EndpointUrl, Security = Security(MessageSecurityMode.SignAndEncrypt), UserName = "operator", Password = "wrong",
        });
        var error = await Assert.ThrowsAsync<UaServiceException>(() => bad.ConnectAsync(Ct));
        Assert.StartsWith("Bad", error.StatusName, StringComparison.Ordinal);
        await bad.DisposeAsync();
    }

    private async Task<X509Certificate2> ServerCertificateAsync()
    {
        await using var none = new UaClient(new UaClientOptions { EndpointUrl = plc.EndpointUrl });
        await none.ConnectAsync(Ct);
        var endpoint = (await none.GetEndpointsAsync(Ct)).First(e => e.SecurityPolicyUri == SecurityPolicyBasic256Sha256.PolicyUri);
        return X509CertificateLoader.LoadCertificate(endpoint.ServerCertificate);
    }

    [Fact]
    public async Task An_untrusted_server_certificate_is_refused_by_subject_and_thumbprint_until_it_is_trusted()
    {
        using var server = await ServerCertificateAsync();
        var strict = Security(MessageSecurityMode.SignAndEncrypt, autoAccept: false);
        var error = await Assert.ThrowsAsync<UaServiceException>(() => ConnectAsync(MessageSecurityMode.SignAndEncrypt, security: strict));
        Assert.Equal("BadCertificateUntrusted", error.StatusName);
        Assert.Contains(server.Subject, error.Message, StringComparison.Ordinal);
        Assert.Contains(server.Thumbprint, error.Message, StringComparison.Ordinal);
        var rejected = Path.Combine(_pki, "rejected", server.Thumbprint + ".der");
        Assert.True(File.Exists(rejected));

        // Trusted by thumbprint.
        await using (var byThumbprint = await ConnectAsync(MessageSecurityMode.SignAndEncrypt,
                         security: strict with { TrustedServerCertificateThumbprints = [server.Thumbprint.ToLowerInvariant()] }))
            Assert.True(byThumbprint.IsConnected);

        // Trusted by a file in the trusted folder.
        Directory.CreateDirectory(Path.Combine(_pki, "trusted"));
        File.Copy(rejected, Path.Combine(_pki, "trusted", "plc.der"));
        await using var byFile = await ConnectAsync(MessageSecurityMode.SignAndEncrypt, security: strict);
        Assert.True(byFile.IsConnected);
    }

    [Fact]
    public async Task The_created_client_certificate_is_kept_and_reused_and_a_PFX_can_be_given()
    {
        string thumbprint;
        await using (var first = await ConnectAsync(MessageSecurityMode.Sign))
            Assert.True(first.IsConnected);
        var own = Path.Combine(_pki, "own", UaCertificateStore.OwnCertificateFile);
        using (var created = X509CertificateLoader.LoadPkcs12FromFile(own, null))
        {
            thumbprint = created.Thumbprint;
            Assert.Equal("urn:imv:opcua-gateway", UaCertificateStore.ApplicationUriOf(created));
            Assert.True(created.HasPrivateKey);
            var usage = created.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages;
            Assert.True(usage.HasFlag(X509KeyUsageFlags.DigitalSignature) && usage.HasFlag(X509KeyUsageFlags.KeyEncipherment)
                        && usage.HasFlag(X509KeyUsageFlags.DataEncipherment) && usage.HasFlag(X509KeyUsageFlags.NonRepudiation));
            Assert.Equal(2048, created.GetRSAPublicKey()!.KeySize);
        }
        await using (var second = await ConnectAsync(MessageSecurityMode.Sign))
            Assert.True(second.IsConnected);
        using (var again = X509CertificateLoader.LoadPkcs12FromFile(own, null))
            Assert.Equal(thumbprint, again.Thumbprint);

        // A PFX with a password, from another folder, with a 4096-bit key: the server's OpenSecureChannel
        // answer then carries the extra padding size byte, and signatures are 512 bytes.
        var pfx = Path.Combine(_pki, "given.pfx");
        using (var given = UaCertificateStore.CreateSelfSigned("urn:imv:opcua-gateway", "Given", 4096))
            await File.WriteAllBytesAsync(pfx, given.Export(X509ContentType.Pkcs12, "pw"));
        await using (var third = await ConnectAsync(MessageSecurityMode.SignAndEncrypt,
                         security: Security(MessageSecurityMode.SignAndEncrypt) with { ClientCertificatePath = pfx, ClientCertificatePassword = "pw" }))
        {
            Assert.True(third.IsConnected);
            Assert.Equal(StatusCode.Good, (await third.ReadValueAsync(WellKnownNodes.ServerState, Ct)).StatusCode);
        }
        var wrong = await Assert.ThrowsAsync<UaServiceException>(() => ConnectAsync(MessageSecurityMode.SignAndEncrypt,
            security: Security(MessageSecurityMode.SignAndEncrypt) with { ClientCertificatePath = pfx, ClientCertificatePassword = "nope" }));
        Assert.Contains(pfx, wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_does_not_trust_the_client_certificate_fails_the_connection_clearly()
    {
        var serverPki = Path.Combine(_pki, "server");
        await using var strictPlc = new PlcProcess("--bulk", "0", "--many", "0", "--pki", serverPki, "--reject-unknown", "1");
        await strictPlc.StartAsync();
        var client = new UaClient(new UaClientOptions
        {
            EndpointUrl = strictPlc.EndpointUrl,
            Security = Security(MessageSecurityMode.SignAndEncrypt),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        });
        await using var _ = client;
        var error = await Assert.ThrowsAsync<UaServiceException>(() => client.ConnectAsync(Ct));
        Assert.StartsWith("Bad", error.StatusName, StringComparison.Ordinal);
        Assert.Contains(strictPlc.EndpointUrl, error.Message, StringComparison.Ordinal);
        Assert.Contains("refused OpenSecureChannel with Basic256Sha256 SignAndEncrypt (client certificate thumbprint", error.Message, StringComparison.Ordinal);

        // The server put the certificate in its rejected folder; moving it to trusted/certs trusts it (the
        // server's file watcher picks it up, so the client retries until it does).
        var rejected = Directory.GetFiles(Path.Combine(serverPki, "rejected"));
        Assert.NotEmpty(rejected);
        foreach (var file in rejected) File.Move(file, Path.Combine(serverPki, "trusted", "certs", Path.GetFileName(file)));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                await client.ConnectAsync(Ct);
                break;
            }
            catch (UaServiceException ex) when (ex.Status == StatusCode.BadSecurityChecksFailed && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task A_server_without_the_configured_mode_is_refused_naming_what_it_offers()
    {
        await using var nonePlc = new PlcProcess("--bulk", "0", "--many", "0", "--secure", "0");
        await nonePlc.StartAsync();
        var client = new UaClient(new UaClientOptions { EndpointUrl = nonePlc.EndpointUrl, Security = Security(MessageSecurityMode.Sign) });
        await using var _ = client;
        var error = await Assert.ThrowsAsync<UaServiceException>(() => client.ConnectAsync(Ct));
        Assert.Equal("BadSecurityPolicyRejected", error.StatusName);
        Assert.Contains($"{nonePlc.EndpointUrl} offers no endpoint with {SecurityPolicyBasic256Sha256.PolicyUri} Sign; it offers None None", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_none_client_against_a_server_without_none_is_refused_naming_what_the_server_offers()
    {
        await using var securedPlc = new PlcProcess("--bulk", "0", "--many", "0", "--none", "0");
        await securedPlc.StartAsync();
        var client = new UaClient(new UaClientOptions { EndpointUrl = securedPlc.EndpointUrl });
        await using var _ = client;
        var error = await Assert.ThrowsAsync<UaServiceException>(() => client.ConnectAsync(Ct));
        Assert.Contains(error.StatusName, new[] { "BadSecurityModeRejected", "BadSecurityPolicyRejected" });
        Assert.Contains($"{securedPlc.EndpointUrl} refused SecurityMode None with SecurityPolicy None", error.Message, StringComparison.Ordinal);
        Assert.Contains("the server offers Basic256Sha256 Sign, Basic256Sha256 SignAndEncrypt", error.Message, StringComparison.Ordinal);
        Assert.Equal(["Basic256Sha256 Sign", "Basic256Sha256 SignAndEncrypt"], (await client.GetOfferedSecurityAsync(Ct)).Order().ToArray());
    }

    [Fact]
    public void Server_certificates_out_of_their_validity_or_trusted_by_a_formatted_thumbprint_are_judged_correctly()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var request = new CertificateRequest("CN=Old PLC", rsa, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var expired = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddYears(-3), DateTimeOffset.UtcNow.AddDays(-1));
        var error = Assert.Throws<UaServiceException>(() => UaCertificateStore.CheckServerCertificate(
            Security(MessageSecurityMode.Sign), expired.RawData, "opc.tcp://old:4840"));
        Assert.Equal("BadCertificateInvalid", error.StatusName);
        Assert.Contains("'CN=Old PLC'", error.Message, StringComparison.Ordinal);
        Assert.Contains(expired.Thumbprint, error.Message, StringComparison.Ordinal);

        using var current = UaCertificateStore.CreateSelfSigned("urn:plc", "PLC");
        var colons = string.Join(":", Enumerable.Range(0, 20).Select(i => current.Thumbprint.Substring(i * 2, 2)));
        UaCertificateStore.CheckServerCertificate(Security(MessageSecurityMode.Sign, autoAccept: false) with { TrustedServerCertificateThumbprints = [colons] },
            current.RawData, "opc.tcp://plc:4840");
        Directory.CreateDirectory(Path.Combine(_pki, "trusted"));
        File.WriteAllText(Path.Combine(_pki, "trusted", "plc.pem"), current.ExportCertificatePem());
        UaCertificateStore.CheckServerCertificate(Security(MessageSecurityMode.Sign, autoAccept: false), current.RawData, "opc.tcp://plc:4840");
    }
}
