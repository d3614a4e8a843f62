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

    [Fact]
    public async Task A_Basic256Sha256_SignAndEncrypt_endpoint_is_configured_through_options()
    {
        var pki = Path.Combine(Path.GetTempPath(), "imv-opcua-gw-pki-" + Guid.NewGuid().ToString("N"));
        try
        {
            var configuration = Config(new()
            {
                ["Gateways:OpcUa:0:Name"] = "secure",
                ["Gateways:OpcUa:0:EndpointUrl"] = plc.EndpointUrl,
                ["Gateways:OpcUa:0:SecurityPolicy"] = "Basic256Sha256",
                ["Gateways:OpcUa:0:SecurityMode"] = "SignAndEncrypt",
                ["Gateways:OpcUa:0:PkiPath"] = pki,
                ["Gateways:OpcUa:0:AutoAcceptUntrustedServerCertificate"] = "true",
                ["Gateways:OpcUa:0:UserName"] = "operator",
                ["Gateways:OpcUa:0:Password"] = "secret",
                ["Gateways:OpcUa:0:SamplingIntervalMs"] = "100",
                ["Gateways:OpcUa:0:PublishingIntervalMs"] = "100",
                ["Gateways:OpcUa:0:Nodes:0:NodeId"] = "ns=1;s=Plant.Machine1.Temperature",
                ["Gateways:OpcUa:0:Nodes:0:TwinId"] = "oven",
                ["Gateways:OpcUa:0:Nodes:0:Tag"] = "Temperature",
            });
            var services = new ServiceCollection().AddLogging().AddOpcUaGateways(configuration).BuildServiceProvider();
            await using var _ = services;
            var gateway = services.GetRequiredService<OpcUaGatewayService>();
            var sink = new CollectingSink();
            await gateway.StartAsync(sink, CancellationToken.None);
            var connection = Assert.Single(gateway.Connections);
            await connection.WaitUntilOnlineAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(Imv.Gateways.OpcUa.Transport.MessageSecurityMode.SignAndEncrypt, connection.Client.Channel!.Policy.Mode);
            Assert.Equal(Imv.Gateways.OpcUa.Transport.SecurityPolicyBasic256Sha256.PolicyUri, connection.Client.Channel.Policy.Uri);
            await CollectingSink.WaitUntilAsync(() => sink.Log.Count(l => l.TwinId == "oven" && l.Update.Tag == "Temperature") >= 2,
                TimeSpan.FromSeconds(30), "temperature updates over SignAndEncrypt");
            Assert.True(File.Exists(Path.Combine(pki, "own", "client.pfx")));
            await gateway.StopAsync(CancellationToken.None);
        }
        finally
        {
            if (Directory.Exists(pki)) Directory.Delete(pki, recursive: true);
        }
    }

    [Fact]
    public void Security_options_are_validated_naming_each_key_and_value()
    {
        OpcUaEndpointOptions Endpoint(string policy, string mode) => new()
        {
            Name = "e", EndpointUrl = "opc.tcp://plc:4840", SecurityPolicy = policy, SecurityMode = mode,
            Nodes = [new OpcUaNodeMapping { NodeId = "ns=1;s=X", TwinId = "t", Tag = "x" }],
        };
        Assert.Empty(OpcUaOptionsValidator.Validate([Endpoint("None", "None")]));
        Assert.Empty(OpcUaOptionsValidator.Validate([Endpoint("Basic256Sha256", "Sign")]));
        Assert.Empty(OpcUaOptionsValidator.Validate([Endpoint("basic256sha256", "SignAndEncrypt")]));
        Assert.Null(OpcUaOptionsValidator.SecurityOf(Endpoint("None", "None")));
        Assert.Equal(Imv.Gateways.OpcUa.Transport.MessageSecurityMode.Sign, OpcUaOptionsValidator.SecurityOf(Endpoint("Basic256Sha256", "Sign"))!.Mode);

        Assert.Contains("Gateways:OpcUa:0:SecurityMode = 'Sign' does not go with SecurityPolicy = 'None'",
            Assert.Single(OpcUaOptionsValidator.Validate([Endpoint("None", "Sign")])), StringComparison.Ordinal);
        Assert.Contains("Gateways:OpcUa:0:SecurityMode = 'None' does not go with SecurityPolicy = 'Basic256Sha256'",
            Assert.Single(OpcUaOptionsValidator.Validate([Endpoint("Basic256Sha256", "None")])), StringComparison.Ordinal);
        Assert.Contains("Gateways:OpcUa:0:SecurityPolicy = 'Basic128Rsa15' is not supported",
            Assert.Single(OpcUaOptionsValidator.Validate([Endpoint("Basic128Rsa15", "Sign")])), StringComparison.Ordinal);
        Assert.Contains("Gateways:OpcUa:0:SecurityMode = 'Encrypt' is not one of None, Sign, SignAndEncrypt",
            Assert.Single(OpcUaOptionsValidator.Validate([Endpoint("Basic256Sha256", "Encrypt")])), StringComparison.Ordinal);

        var bad = Endpoint("Basic256Sha256", "SignAndEncrypt");
        bad.ApplicationUri = "not a uri";
        bad.PkiPath = " ";
        bad.ClientCertificatePath = "/nowhere/client.pfx";
        bad.TrustedServerCertificateThumbprints = ["12:34", new string('A', 40)];
        var errors = string.Join("\n", OpcUaOptionsValidator.Validate([bad]));
        Assert.Contains("Gateways:OpcUa:0:ApplicationUri = 'not a uri' is not an absolute URI", errors, StringComparison.Ordinal);
        Assert.Contains("Gateways:OpcUa:0:PkiPath is empty", errors, StringComparison.Ordinal);
        Assert.Contains("Gateways:OpcUa:0:ClientCertificatePath = '/nowhere/client.pfx' does not exist", errors, StringComparison.Ordinal);
        Assert.Contains("Gateways:OpcUa:0:TrustedServerCertificateThumbprints:0 = '12:34' is not a SHA-1 thumbprint", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("TrustedServerCertificateThumbprints:1", errors, StringComparison.Ordinal);
    }
}
