using Imv.Gateways.OpcUa.Gateway;
using Imv.Grains.Interfaces.Plant;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Imv.Gateways.OpcUa.Tests;

[Collection(PlcCollection.Name)]
public sealed class ConfigurationTests(PlcFixture plc)
{
    private static IConfiguration Config(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    [Fact]
    public async Task The_gateway_is_configured_from_Gateways_OpcUa_and_runs_in_a_service_provider()
    {
        var configuration = Config(new()
        {
            ["Gateways:OpcUa:0:Name"] = "plc1",
            ["Gateways:OpcUa:0:EndpointUrl"] = plc.EndpointUrl,
            ["Gateways:OpcUa:0:UserName"] = "operator",
            ["Gateways:OpcUa:0:Password"] = "secret",
            ["Gateways:OpcUa:0:SamplingIntervalMs"] = "100",
            ["Gateways:OpcUa:0:PublishingIntervalMs"] = "100",
            ["Gateways:OpcUa:0:Discovery:0:Root"] = "Plant",
            ["Gateways:OpcUa:0:Nodes:0:NodeId"] = "ns=1;s=Types.Double",
            ["Gateways:OpcUa:0:Nodes:0:TwinId"] = "types",
            ["Gateways:OpcUa:0:Nodes:0:Tag"] = "Double",
            ["Gateways:OpcUa:0:Nodes:1:BrowsePath"] = "Plant/Machine1/Reset",
            ["Gateways:OpcUa:0:Nodes:1:TwinId"] = "types",
            ["Gateways:OpcUa:0:Nodes:1:Method"] = "ResetMachine1",
        });
        var services = new ServiceCollection().AddLogging().AddOpcUaGateways(configuration).BuildServiceProvider();
        await using var _ = services;
        var gateway = services.GetRequiredService<OpcUaGatewayService>();
        var sink = new CollectingSink();
        await gateway.StartAsync(sink, CancellationToken.None);
        var connection = Assert.Single(gateway.Connections);
        Assert.Equal("plc1", Assert.Single(gateway.Gateways).Name);
        await connection.WaitUntilOnlineAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("plc1.Plant.Machine1", sink.Descriptions.Keys);
        Assert.Contains("types", sink.Descriptions.Keys);
        var reset = await connection.SendAsync(new Imv.Grains.Interfaces.Commands.DeviceCommand("c1", "types", null, "ResetMachine1",
            default, [], DateTimeOffset.UtcNow.AddMinutes(1)), CancellationToken.None);
        Assert.Equal(Imv.Grains.Interfaces.Commands.CommandDeliveryStatus.Applied, reset.Status);
        Assert.Single(reset.Outputs!);
        await gateway.StopAsync(CancellationToken.None);
        Assert.Equal(TwinConnectivity.Offline, sink.StateOf("types"));
    }

    [Fact]
    public void Invalid_configuration_is_rejected_naming_each_key_and_value()
    {
        var configuration = Config(new()
        {
            ["Gateways:OpcUa:0:Name"] = "a",
            ["Gateways:OpcUa:0:EndpointUrl"] = "http://plc:4840",
            ["Gateways:OpcUa:0:PublishingIntervalMs"] = "0",
            ["Gateways:OpcUa:0:MaxNotificationsPerPublish"] = "-1",
            ["Gateways:OpcUa:0:Nodes:0:NodeId"] = "ns=x;q=1",
            ["Gateways:OpcUa:0:Nodes:0:TwinId"] = "t",
            ["Gateways:OpcUa:0:Nodes:0:Tag"] = "x",
            ["Gateways:OpcUa:0:Nodes:0:DeadbandPercent"] = "150",
            ["Gateways:OpcUa:1:Name"] = "a",
            ["Gateways:OpcUa:1:EndpointUrl"] = "opc.tcp://plc:4840",
            ["Gateways:OpcUa:1:SecurityMode"] = "Sign",
        });
        var services = new ServiceCollection().AddLogging().AddOpcUaGateways(configuration).BuildServiceProvider();
        var error = Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<OpcUaGatewayService>());
        Assert.Contains("Gateways:OpcUa:0:EndpointUrl = 'http://plc:4840' is not an opc.tcp:// URL", error.Message, StringComparison.Ordinal);
        Assert.Contains("Gateways:OpcUa:0:PublishingIntervalMs = 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("Gateways:OpcUa:0:MaxNotificationsPerPublish = -1 must be 0 (no limit) or positive", error.Message, StringComparison.Ordinal);
        Assert.Contains("Gateways:OpcUa:0:Nodes:0:NodeId = 'ns=x;q=1'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Gateways:OpcUa:0:Nodes:0:DeadbandPercent = 150", error.Message, StringComparison.Ordinal);
        Assert.Contains("Gateways:OpcUa:1:Name = 'a' is used by another endpoint", error.Message, StringComparison.Ordinal);
        Assert.Contains("Gateways:OpcUa:1:SecurityMode = 'Sign'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Gateways:OpcUa:1: maps no nodes", error.Message, StringComparison.Ordinal);
    }
}
