using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Imv.Gateways.Mqtt.Tests;

/// <summary>Tests that need a broker of their own: restarted, with TLS, with passwords; run against each client the
/// gateway can use.</summary>
public abstract class BrokerLifecycleTests
{
    /// <summary>A client of the kind under test.</summary>
    private protected abstract IMqttGatewayClient Create(MqttClientOptions options);

    [Fact]
    public async Task Broker_restart_mid_stream_at_qos1_loses_no_acknowledged_message()
    {
        await using var broker = await MosquittoBroker.StartAsync(persistence: true);
        void Persistent(MqttClientOptions o) { o.CleanStart = false; o.SessionExpiryInterval = 600; o.ReceiveBufferCapacity = 100_000; o.MaxInFlight = 32; }
        var subscriberOptions = broker.ClientOptions("restart-sub");
        Persistent(subscriberOptions);
        await using var subscriber = Create(subscriberOptions);
        await subscriber.ConnectAsync(Wait.Token());
        await subscriber.SubscribeAsync("line/+/count", MqttQualityOfService.AtLeastOnce, Wait.Token());
        var publisherOptions = broker.ClientOptions("restart-pub");
        Persistent(publisherOptions);
        await using var publisher = Create(publisherOptions);
        await publisher.ConnectAsync(Wait.Token());

        var received = new ConcurrentDictionary<int, bool>();
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            await foreach (var m in subscriber.Messages.ReadAllAsync(stop.Token)) received[BitConverter.ToInt32(m.Payload)] = true;
        });
        var acknowledged = new ConcurrentDictionary<int, bool>();
        const int count = 4000;
        var publishes = new List<Task>(count);
        Task? restart = null;
        for (var i = 0; i < count; i++)
        {
            var n = i;
            publishes.Add(Task.Run(async () =>
            {
                var result = await publisher.PublishAsync(new MqttApplicationMessage("line/1/count", BitConverter.GetBytes(n), MqttQualityOfService.AtLeastOnce), CancellationToken.None);
                if (result.IsSuccess) acknowledged[n] = true;
            }));
            if (i == count / 3) restart = broker.RestartAsync();
            if (i % 200 == 0) await Task.Yield();
        }
        await restart!;
        await Task.WhenAll(publishes).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(count, acknowledged.Count);
        Assert.True(publisher.Statistics.Reconnects >= 1 && subscriber.Statistics.Reconnects >= 1, "both clients reconnected");
        await Wait.UntilAsync(() => acknowledged.Keys.All(received.ContainsKey), "every acknowledged message received", TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await reader.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    [Fact]
    public async Task A_cancelled_publication_that_never_left_is_withdrawn_and_never_sent_later()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var subscriber = Create(broker.ClientOptions("withdraw-sub"));
        await subscriber.ConnectAsync(Wait.Token());
        await subscriber.SubscribeAsync("cmd/#", MqttQualityOfService.AtLeastOnce, Wait.Token());
        await using var publisher = Create(broker.ClientOptions("withdraw-pub"));
        await publisher.ConnectAsync(Wait.Token());

        await broker.StopProcessAsync();
        await Wait.UntilAsync(() => publisher.State == MqttConnectionState.ConnectionLost, "publisher saw the broker go");
        using (var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                publisher.PublishAsync(new MqttApplicationMessage("cmd/late", "too late"u8.ToArray(), MqttQualityOfService.AtLeastOnce), deadline.Token).AsTask());
        }
        Assert.Equal(0, publisher.InFlightCount);

        await broker.StartProcessAsync();
        await Wait.UntilAsync(() => publisher.State == MqttConnectionState.Connected && subscriber.State == MqttConnectionState.Connected, "both reconnected");
        await publisher.PublishAsync(new MqttApplicationMessage("cmd/marker", "marker"u8.ToArray(), MqttQualityOfService.AtLeastOnce), Wait.Token());
        var first = await Wait.ReadAsync(subscriber.Messages);
        Assert.Equal("cmd/marker", first.Topic);
        Assert.Equal(0, publisher.Statistics.Resent);
    }

    [Fact]
    public async Task Keep_alive_holds_an_idle_connection_and_detects_a_silent_broker()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        var options = broker.ClientOptions("keepalive");
        options.KeepAlive = TimeSpan.FromSeconds(1);
        await using var client = Create(options);
        await client.ConnectAsync(Wait.Token());
        // Idle for three keep-alive periods: mosquitto drops a client silent for 1.5 periods, so only our
        // PINGREQs keep this connection. (Waiting for time to pass is the point here.)
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(MqttConnectionState.Connected, client.State);
        Assert.Equal(0, client.Statistics.Reconnects);

        broker.Freeze();
        try
        {
            await Wait.UntilAsync(() => client.State == MqttConnectionState.ConnectionLost, "a frozen broker detected by missing PINGRESP", TimeSpan.FromSeconds(10));
        }
        finally
        {
            broker.Thaw();
        }
        await Wait.UntilAsync(() => client.State == MqttConnectionState.Connected && client.Statistics.Reconnects >= 1, "reconnected after the broker woke up");
    }

    [Fact]
    public async Task Tls_with_a_certificate_the_fixture_makes()
    {
        await using var broker = await MosquittoBroker.StartAsync(
            "cafile {dir}/ca.pem\ncertfile {dir}/server.pem\nkeyfile {dir}/server.key",
            prepare: WriteCertificates);
        var caPath = Path.Combine(broker.Directory, "ca.pem");

        var options = broker.ClientOptions("tls-client");
        options.Tls = new MqttTlsOptions { Enabled = true, CaCertificatePath = caPath, TargetHost = "localhost" };
        await using (var client = Create(options))
        {
            await client.ConnectAsync(Wait.Token());
            await client.SubscribeAsync("secure/t", MqttQualityOfService.ExactlyOnce, Wait.Token());
            await client.PublishAsync(new MqttApplicationMessage("secure/t", "over tls"u8.ToArray(), MqttQualityOfService.ExactlyOnce), Wait.Token());
            Assert.Equal("over tls", Encoding.UTF8.GetString((await Wait.ReadAsync(client.Messages)).Payload));
        }

        var untrusted = broker.ClientOptions("tls-untrusted");
        untrusted.Tls = new MqttTlsOptions { Enabled = true, TargetHost = "localhost" };
        await using (var client = Create(untrusted))
            await Assert.ThrowsAsync<AuthenticationException>(() => client.ConnectAsync(Wait.Token()));

        var wrongName = broker.ClientOptions("tls-wrong-name");
        wrongName.Tls = new MqttTlsOptions { Enabled = true, CaCertificatePath = caPath, TargetHost = "other.example" };
        await using (var client = Create(wrongName))
            await Assert.ThrowsAsync<AuthenticationException>(() => client.ConnectAsync(Wait.Token()));

        var plain = broker.ClientOptions("plain-to-tls");
        plain.ConnectTimeout = TimeSpan.FromSeconds(3);
        await using (var client = Create(plain))
            await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync(Wait.Token()));
    }

    [Fact]
    public async Task Mutual_tls_with_a_client_certificate()
    {
        await using var broker = await MosquittoBroker.StartAsync(
            "cafile {dir}/ca.pem\ncertfile {dir}/server.pem\nkeyfile {dir}/server.key\nrequire_certificate true",
            prepare: WriteCertificates);
        var tls = new MqttTlsOptions
        {
            Enabled = true,
            CaCertificatePath = Path.Combine(broker.Directory, "ca.pem"),
            TargetHost = "localhost",
            ClientCertificatePath = Path.Combine(broker.Directory, "client.pem"),
            ClientKeyPath = Path.Combine(broker.Directory, "client.key"),
        };
        var options = broker.ClientOptions("mtls-client");
        options.Tls = tls;
        await using (var client = Create(options))
        {
            await client.ConnectAsync(Wait.Token());
            Assert.Equal(MqttConnectionState.Connected, client.State);
        }

        var without = broker.ClientOptions("mtls-without");
        without.ConnectTimeout = TimeSpan.FromSeconds(5);
        without.Tls = new MqttTlsOptions { Enabled = true, CaCertificatePath = tls.CaCertificatePath, TargetHost = "localhost" };
        await using var refused = Create(without);
        await Assert.ThrowsAnyAsync<Exception>(() => refused.ConnectAsync(Wait.Token()));
        Assert.Equal(MqttConnectionState.Disconnected, refused.State);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Username_and_password_are_checked_and_a_refusal_carries_the_reason_code(MqttProtocolVersion version)
    {
        await using var broker = await MosquittoBroker.StartAsync("password_file {dir}/passwd\nallow_anonymous false", prepare: dir =>
        {
            using var process = Process.Start(new ProcessStartInfo("/usr/bin/mosquitto_passwd", $"-b -c {dir}/passwd operator s3cret") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            process.WaitForExit();
            Assert.Equal(0, process.ExitCode);
        });
        var good = broker.ClientOptions("auth-good", version);
        good.Username = "operator";
        good.Password = "s3cret";
        await using (var client = Create(good)) await client.ConnectAsync(Wait.Token());

        var bad = broker.ClientOptions("auth-bad", version);
        bad.Username = "operator";
        bad.Password = "wrong";
        await using var refused = Create(bad);
        var error = await Assert.ThrowsAsync<MqttReasonException>(() => refused.ConnectAsync(Wait.Token()));
        Assert.Equal("CONNECT", error.Operation);
        if (version == MqttProtocolVersion.V500)
        {
            Assert.Contains(error.ReasonCode, new byte[] { 0x86, 0x87 });
            Assert.Contains("0x8", error.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains(error.ReasonCode, new byte[] { 4, 5 });
        }
        // Counted as a refused login (the gateway exports it as imv.mqtt.refused_logins).
        Assert.Equal(1, refused.Statistics.RefusedLogins);
    }

    private static void WriteCertificates(string directory)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=Imv Test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(2));

        using var serverKey = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var server = request.Create(ca, now.AddDays(-1), now.AddDays(1), RandomNumberGenerator.GetBytes(12));

        using var clientKey = RSA.Create(2048);
        var clientRequest = new CertificateRequest("CN=imv-gateway", clientKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        clientRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        clientRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        clientRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        clientRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var client = clientRequest.Create(ca, now.AddDays(-1), now.AddDays(1), RandomNumberGenerator.GetBytes(12));
        File.WriteAllText(Path.Combine(directory, "client.pem"), client.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "client.key"), clientKey.ExportPkcs8PrivateKeyPem());

        File.WriteAllText(Path.Combine(directory, "ca.pem"), ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "server.pem"), server.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "server.key"), serverKey.ExportPkcs8PrivateKeyPem());
    }
}

public sealed class OwnClientBrokerLifecycleTests : BrokerLifecycleTests
{
    private protected override IMqttGatewayClient Create(MqttClientOptions options) => new MqttClient(options);
}

public sealed class MqttNetClientBrokerLifecycleTests : BrokerLifecycleTests
{
    private protected override IMqttGatewayClient Create(MqttClientOptions options) => new MqttNetClient(options);
}
