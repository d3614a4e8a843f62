using Imv.Gateways.MqttGateway;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Imv.Gateways.Mqtt.Tests;

[Collection("broker")]
public sealed class GatewayConfigurationTests(BrokerFixture fixture)
{
    private static IConfiguration Config(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    [Fact]
    public void Invalid_configuration_names_each_key_and_value()
    {
        var config = Config(new()
        {
            ["Gateways:Mqtt:0:Name"] = "a",
            ["Gateways:Mqtt:0:Port"] = "70000",
            ["Gateways:Mqtt:0:ProtocolVersion"] = "4.0",
            ["Gateways:Mqtt:0:Mode"] = "SparkplugB",
            ["Gateways:Mqtt:0:Sparkplug:GroupIds:0"] = "bad/group",
            ["Gateways:Mqtt:0:Sparkplug:TwinIdTemplate"] = "{group}.{line}",
            ["Gateways:Mqtt:1:Name"] = "a",
            ["Gateways:Mqtt:1:Mode"] = "Json",
            ["Gateways:Mqtt:1:Json:TelemetryTopic"] = "plant/{site}/+/x",
            ["Gateways:Mqtt:1:Json:CommandTopic"] = "plant/{site}/{other}/cmd",
            ["Gateways:Mqtt:1:StaleAfterMs"] = "-1",
            ["Gateways:Mqtt:1:Status:IdealCycleTimeMs"] = "-5",
            ["Gateways:Mqtt:1:Status:Running"] = "running",
            ["Gateways:Mqtt:1:Twins:plant.a:StaleAfterMs"] = "-2",
        });
        var options = config.GetSection(MqttGatewayOptions.SectionName).Get<List<MqttGatewayOptions>>()!;
        var error = Assert.Throws<MqttGatewayConfigurationException>(() => MqttGatewayOptionsValidator.ThrowIfInvalid(options));
        Assert.Contains("Gateways:Mqtt:0:Port: '70000' is not a port (1..65535).", error.Errors);
        Assert.Contains(error.Errors, e => e.StartsWith("Gateways:Mqtt:0:ProtocolVersion: '4.0'", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("Gateways:Mqtt:0:Sparkplug:GroupIds:0: 'bad/group'", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("Gateways:Mqtt:0:Sparkplug:TwinIdTemplate: '{group}.{line}'", StringComparison.Ordinal) && e.Contains("{line}", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("Gateways:Mqtt:1:Name: 'a' is used by another connection", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("Gateways:Mqtt:1:Json:TelemetryTopic: 'plant/{site}/+/x'", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("Gateways:Mqtt:1:StaleAfterMs = -1 must be 0 (never stale)", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("Gateways:Mqtt:1:Status:IdealCycleTimeMs = -5", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("Gateways:Mqtt:1:Twins:plant.a:StaleAfterMs = -2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddMqttGateways_binds_the_list_and_the_hosted_service_starts_it_into_the_sink()
    {
        var broker = fixture.Broker;
        var group = "cfg" + Guid.NewGuid().ToString("N")[..6];
        var config = Config(new()
        {
            ["Gateways:Mqtt:0:Name"] = "plant-a",
            ["Gateways:Mqtt:0:Host"] = "127.0.0.1",
            ["Gateways:Mqtt:0:Port"] = broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Gateways:Mqtt:0:ProtocolVersion"] = "3.1.1",
            ["Gateways:Mqtt:0:ClientId"] = "imv-" + group,
            ["Gateways:Mqtt:0:Mode"] = "SparkplugB",
            ["Gateways:Mqtt:0:Sparkplug:GroupIds:0"] = group,
            ["Gateways:Mqtt:0:Sparkplug:HostId"] = "host-" + group,
            ["Gateways:Mqtt:0:Sparkplug:TwinIdTemplate"] = "site1/{edge}/{device}",
        });
        var sink = new CollectingSink();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IPlantEventSink>(sink);
        services.AddMqttGateways(config);
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().OfType<MqttGatewayHostedService>().Single();
        await hosted.StartAsync(Wait.Token());
        try
        {
            var service = provider.GetRequiredService<MqttGatewayService>();
            Assert.Equal("plant-a", Assert.Single(service.Connections).Name);
            Assert.Equal(MqttProtocolVersion.V311, service.Connections[0].Client.Options.ProtocolVersion);
            await using var edge = new SparkplugEdgeNodeSimulator(broker, group, "e1", ["d1"]);
            await edge.StartAsync();
            await Wait.UntilAsync(() => sink.Connectivity("site1/e1/d1") == TwinConnectivity.Online, "twin id from the configured template");
            var gateway = service.FindGateway("plant-a")!;
            var delivery = await gateway.SendAsync(new DeviceCommand("k", "site1/e1/d1", "SetPoint", null, Grains.Interfaces.Twins.TagValue.FromDouble(3), [], DateTimeOffset.UtcNow.AddSeconds(10)), Wait.Token());
            Assert.Equal(CommandDeliveryStatus.Delivered, delivery.Status);
        }
        finally
        {
            await hosted.StopAsync(Wait.Token());
        }
    }

    [Fact]
    public async Task Hosted_service_refuses_to_start_with_an_invalid_configuration()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IPlantEventSink>(new CollectingSink());
        services.AddMqttGateways(Config(new() { ["Gateways:Mqtt:0:Name"] = "x", ["Gateways:Mqtt:0:Mode"] = "Json" }));
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().OfType<MqttGatewayHostedService>().Single();
        var error = await Assert.ThrowsAsync<MqttGatewayConfigurationException>(() => hosted.StartAsync(Wait.Token()));
        Assert.Contains(error.Errors, e => e.StartsWith("Gateways:Mqtt:0:Json:TelemetryTopic: ''", StringComparison.Ordinal));
    }
}
