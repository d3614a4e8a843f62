using System.Diagnostics;
using Imv.Gateways.OpcUa.Gateway;
using Imv.Grains.Interfaces.Plant;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Imv.Gateways.OpcUa.Tests;

/// <summary>An endpoint the gateway cannot log in to, or cannot reach: its twins turn Offline at once, and
/// refused logins back off exponentially, logged once per change and counted.</summary>
[Collection(PlcCollection.Name)]
public sealed class LoginRefusalTests(PlcFixture plc)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_refused_login_turns_the_twins_offline_at_once_and_backs_off_exponentially()
    {
        var sink = new CollectingSink();
        var logger = new TestLogger();
        var options = new OpcUaEndpointOptions
        {
            Name = "locked-plc",
            EndpointUrl = plc.EndpointUrl,
            UserName = "operator",
            Password = "wrong",
            LoginRetryMinDelayMs = 200,
            LoginRetryMaxDelayMs = 800,
        };
        options.Nodes.Add(new OpcUaNodeMapping { BrowsePath = "Plant/Machine1/Speed", TwinId = "locked", Tag = "Speed" });
        Assert.Empty(OpcUaOptionsValidator.Validate([options]));
        var started = Stopwatch.StartNew();
        await using var connection = new OpcUaEndpointConnection(options, sink, logger);
        await connection.StartAsync(CancellationToken.None);

        await CollectingSink.WaitUntilAsync(() => sink.StateOf("locked") == TwinConnectivity.Offline, Timeout, "the configured twin Offline");
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"Offline after {started.Elapsed}");
        Assert.Contains(sink.GatewayLog, g => g.Gateway == "locked-plc" && g.State == TwinConnectivity.Offline && g.Reason.Contains("login refused", StringComparison.Ordinal));

        // Refusals are counted; their times show the backoff (200, 400, 800, 800 ms ...), not the 500 ms reconnect pace.
        var times = new List<TimeSpan>();
        var seen = 0L;
        await CollectingSink.WaitUntilAsync(() =>
        {
            var n = connection.RefusedLoginCount;
            if (n != seen)
            {
                seen = n;
                times.Add(started.Elapsed);
            }
            return n >= 5;
        }, Timeout, "five refused logins");
        Assert.True(times[^1] - times[0] >= TimeSpan.FromMilliseconds(200 + 400 + 800 + 800 - 100), string.Join(", ", times));
        Assert.Equal(TwinConnectivity.Offline, connection.State);
        Assert.Equal(connection.RefusedLoginCount, connection.Statistics.RefusedLogins);

        // Logged once for the same refusal, naming the endpoint and the status.
        var warnings = logger.Entries.Where(e => e.Level == LogLevel.Warning && e.Message.Contains("refused the login", StringComparison.Ordinal)).ToList();
        Assert.Single(warnings);
        Assert.Contains("locked-plc", warnings[0].Message, StringComparison.Ordinal);
        Assert.True(warnings[0].Message.Contains("BadUserAccessDenied", StringComparison.Ordinal) || warnings[0].Message.Contains("BadIdentityTokenRejected", StringComparison.Ordinal), warnings[0].Message);
    }

    [Fact]
    public async Task An_endpoint_never_reached_since_the_start_turns_its_twins_offline_at_once()
    {
        var sink = new CollectingSink();
        await using var nowhere = new PlcProcess(); // a free port with nothing listening
        var options = new OpcUaEndpointOptions { Name = "gone", EndpointUrl = nowhere.EndpointUrl, ReconnectMinDelayMs = 100, ReconnectMaxDelayMs = 200 };
        options.Nodes.Add(new OpcUaNodeMapping { NodeId = "ns=1;s=Plant.Machine1.Speed", TwinId = "gone.m1", Tag = "Speed" });
        await using var connection = new OpcUaEndpointConnection(options, sink, new TestLogger());
        var started = Stopwatch.StartNew();
        await connection.StartAsync(CancellationToken.None);
        await CollectingSink.WaitUntilAsync(() => sink.StateOf("gone.m1") == TwinConnectivity.Offline, Timeout, "the configured twin Offline");
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"Offline after {started.Elapsed}");
        Assert.Contains(sink.GatewayLog, g => g.Gateway == "gone" && g.State == TwinConnectivity.Offline && g.Reason.Contains("cannot connect", StringComparison.Ordinal));
        Assert.Equal(0, connection.RefusedLoginCount);
        Assert.True(connection.ConnectFailureCount >= 1);
    }
}
