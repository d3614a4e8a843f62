using Imv.Gateways.OpcUa.Gateway;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Imv.Gateways.OpcUa.Tests;

/// <summary>The PLC restarted mid-run: the gateway reconnects by itself, the subscription comes back,
/// and no tag shows a stale Good quality while the PLC is down.</summary>
public sealed class ReconnectTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("None")]
    [InlineData("SignAndEncrypt")]
    public async Task The_gateway_survives_a_PLC_restart_without_stale_good_values(string securityMode)
    {
        var pki = Path.Combine(Path.GetTempPath(), "imv-opcua-reconnect-pki-" + Guid.NewGuid().ToString("N"));
        await using var plc = new PlcProcess("--bulk", "0");
        await plc.StartAsync();
        var sink = new CollectingSink();
        var options = new OpcUaEndpointOptions
        {
            Name = "plc",
            EndpointUrl = plc.EndpointUrl,
            SamplingIntervalMs = 50,
            PublishingIntervalMs = 50,
            KeepAliveCount = 5,
            ReconnectMinDelayMs = 100,
            ReconnectMaxDelayMs = 1000,
            SecurityMode = securityMode,
            SecurityPolicy = securityMode == "None" ? "None" : "Basic256Sha256",
            PkiPath = pki,
            AutoAcceptUntrustedServerCertificate = true,
        };
        options.Discovery.Add(new OpcUaDiscoveryOptions { Root = "Plant" });
        await using var connection = new OpcUaEndpointConnection(options, sink, NullLogger.Instance);
        await connection.StartAsync(CancellationToken.None);
        await connection.WaitUntilOnlineAsync(CancellationToken.None).WaitAsync(Timeout);
        await CollectingSink.WaitUntilAsync(() => sink.Tags.Count == 20, Timeout, "20 tags of both machines reported");
        var firstSubscription = connection.SubscriptionId;

        await plc.StopAsync();
        var stoppedAt = DateTimeOffset.UtcNow;
        await CollectingSink.WaitUntilAsync(
            () => sink.StateOf("plc.Plant.Machine1") is TwinConnectivity.Reconnecting or TwinConnectivity.Offline
                  && sink.StateOf("plc.Plant.Machine2") is TwinConnectivity.Reconnecting or TwinConnectivity.Offline,
            Timeout, "twins reconnecting after the PLC stopped");
        Assert.All(sink.Tags, t => Assert.NotEqual(TagQuality.Good, t.Value.Quality));

        // Down for a while: the gateway retries with backoff, and nothing Good arrives.
        await CollectingSink.WaitUntilAsync(() => DateTimeOffset.UtcNow - stoppedAt > TimeSpan.FromSeconds(2), Timeout, "PLC down for 2 s");
        Assert.All(sink.Tags, t => Assert.NotEqual(TagQuality.Good, t.Value.Quality));
        Assert.Equal(0, sink.GoodWhileDisconnected);

        await plc.StartAsync();
        var restartedAt = DateTimeOffset.UtcNow;
        await CollectingSink.WaitUntilAsync(() => sink.StateOf("plc.Plant.Machine1") == TwinConnectivity.Online, Timeout, "twins online again");
        await CollectingSink.WaitUntilAsync(
            () => sink.Tags.All(t => t.Value.Quality == TagQuality.Good && t.Value.At > restartedAt),
            Timeout, "every tag fresh and Good after the restart");
        Assert.True(connection.ReconnectCount >= 1);
        Assert.NotEqual(0u, connection.SubscriptionId);
        Assert.Equal(0, sink.GoodWhileDisconnected);
        _ = firstSubscription;

        // Values keep flowing on the new subscription.
        var count = connection.NotificationCount;
        await CollectingSink.WaitUntilAsync(() => connection.NotificationCount > count + 20, Timeout, "notifications after the restart");
        Assert.Equal(securityMode, connection.Client.Channel!.Policy.Mode.ToString());
        if (Directory.Exists(pki)) Directory.Delete(pki, recursive: true);
    }

    [Theory]
    [InlineData("None")]
    [InlineData("Sign")]
    public async Task A_server_that_stops_answering_is_detected_and_the_session_comes_back(string securityMode)
    {
        await using var plc = new PlcProcess("--bulk", "0");
        await plc.StartAsync();
        var sink = new CollectingSink();
        var options = new OpcUaEndpointOptions
        {
            Name = "frozen",
            EndpointUrl = plc.EndpointUrl,
            SecurityMode = securityMode,
            SecurityPolicy = securityMode == "None" ? "None" : "Basic256Sha256",
            PkiPath = Path.Combine(Path.GetTempPath(), "imv-opcua-frozen-pki-" + Guid.NewGuid().ToString("N")),
            AutoAcceptUntrustedServerCertificate = true,
            SamplingIntervalMs = 50,
            PublishingIntervalMs = 50,
            KeepAliveCount = 5,
            RequestTimeoutMs = 1000,
            ReconnectMinDelayMs = 100,
            ReconnectMaxDelayMs = 1000,
        };
        options.Nodes.Add(new OpcUaNodeMapping { NodeId = "ns=1;s=Plant.Machine1.Temperature", TwinId = "m1", Tag = "Temperature" });
        await using var connection = new OpcUaEndpointConnection(options, sink, NullLogger.Instance);
        await connection.StartAsync(CancellationToken.None);
        await connection.WaitUntilOnlineAsync(CancellationToken.None).WaitAsync(Timeout);
        await CollectingSink.WaitUntilAsync(() => sink.Tags.ContainsKey(("m1", "Temperature")), Timeout, "first value");
        var session = connection.Client.SessionId;

        await plc.SignalAsync(freeze: true);
        try
        {
            await CollectingSink.WaitUntilAsync(() => sink.StateOf("m1") == TwinConnectivity.Reconnecting, Timeout, "silence detected");
            Assert.NotEqual(TagQuality.Good, sink.Tags[("m1", "Temperature")].Quality);
        }
        finally
        {
            await plc.SignalAsync(freeze: false);
        }
        var resumedAt = DateTimeOffset.UtcNow;
        await CollectingSink.WaitUntilAsync(() => sink.StateOf("m1") == TwinConnectivity.Online, Timeout, "online again");
        await CollectingSink.WaitUntilAsync(() => sink.Tags[("m1", "Temperature")] is { Quality: TagQuality.Good } t && t.At > resumedAt, Timeout, "fresh Good value");
        Assert.Equal(0, sink.GoodWhileDisconnected);
        // The server kept the session: it was reactivated on a new channel (secured: with a new client
        // signature over the last server nonce), not recreated.
        Assert.Equal(session, connection.Client.SessionId);
        if (Directory.Exists(options.PkiPath)) Directory.Delete(options.PkiPath, recursive: true);
    }
}
