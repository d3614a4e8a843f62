using Imv.Gateways.OpcUa.Client;
using Imv.Gateways.OpcUa.Encoding;
using Imv.Gateways.OpcUa.Gateway;
using Imv.Gateways.OpcUa.Transport;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Gateways.OpcUa.Tests;

/// <summary>Mapping configuration that names namespaces by URI, resolved through the server's
/// NamespaceArray: the PLC's Line objects live in a second namespace, http://imv.example/UA/Line/.</summary>
[Collection(PlcCollection.Name)]
public sealed class NamespaceUriTests(PlcFixture plc)
{
    private const string LineUri = "http://imv.example/UA/Line/";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private OpcUaEndpointOptions Endpoint(string name) => new()
    {
        Name = name,
        EndpointUrl = plc.EndpointUrl,
        SamplingIntervalMs = 50,
        PublishingIntervalMs = 50,
    };

    [Fact]
    public void Browse_path_elements_take_an_index_a_braced_uri_or_nsu()
    {
        var elements = BrowsePathParser.ParseElements($"Plant/2:Line/{{{LineUri}}}Robot/nsu={LineUri};Speed");
        Assert.Equal(
            [new BrowsePathElement(null, null, "Plant"), new BrowsePathElement(2, null, "Line"),
             new BrowsePathElement(null, LineUri, "Robot"), new BrowsePathElement(null, LineUri, "Speed")],
            elements);
        var table = new NamespaceTable(["http://opcfoundation.org/UA/", "urn:plc", LineUri], "opc.tcp://x");
        Assert.Equal(
            [new QualifiedName(1, "Plant"), new QualifiedName(2, "Line"), new QualifiedName(2, "Robot"), new QualifiedName(2, "Speed")],
            BrowsePathParser.Parse($"Plant/2:Line/{{{LineUri}}}Robot/nsu={LineUri};Speed", 1, table));
    }

    [Theory]
    [InlineData("{http://imv.example/UA/Line/Robot/Speed", "has no closing '}'")]
    [InlineData("Plant/nsu=urn:x", "needs a ';' after the namespace URI")]
    [InlineData("Plant/{urn:x}", "has a namespace but no browse name")]
    [InlineData("{}Plant", "empty namespace URI")]
    public void A_malformed_browse_path_is_rejected_at_start_naming_the_key(string path, string expected)
    {
        var options = Endpoint("bad");
        options.Nodes.Add(new OpcUaNodeMapping { BrowsePath = path, TwinId = "t", Tag = "x" });
        options.Discovery.Add(new OpcUaDiscoveryOptions { Root = path });
        var errors = OpcUaOptionsValidator.Validate([options]);
        Assert.Contains(errors, e => e.StartsWith("Gateways:OpcUa:0:Nodes:0:BrowsePath:", StringComparison.Ordinal) && e.Contains(expected, StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateways:OpcUa:0:Discovery:0:Root:", StringComparison.Ordinal) && e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_node_id_with_a_namespace_uri_is_checked_at_start()
    {
        var options = Endpoint("bad");
        options.Nodes.Add(new OpcUaNodeMapping { NodeId = "nsu=urn:x", TwinId = "t", Tag = "x" });
        options.Nodes.Add(new OpcUaNodeMapping { NodeId = "nsu=urn:x;ns=2;s=A", TwinId = "t", Tag = "y" });
        options.Nodes.Add(new OpcUaNodeMapping { NodeId = $"nsu={LineUri};s=Line.Robot.Speed", TwinId = "t", Tag = "z" });
        var errors = OpcUaOptionsValidator.Validate([options]);
        Assert.Equal(2, errors.Count);
        Assert.Contains("Nodes:0:NodeId = 'nsu=urn:x' needs a namespace URI and ';'", errors[0], StringComparison.Ordinal);
        Assert.Contains("both a namespace URI (nsu=) and an index (ns=)", errors[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nodes_named_by_namespace_uri_resolve_report_and_accept_writes()
    {
        var sink = new CollectingSink();
        var options = Endpoint("uri");
        options.Nodes.Add(new OpcUaNodeMapping { BrowsePath = $"{{{LineUri}}}Line/{{{LineUri}}}Robot/{{{LineUri}}}Speed", TwinId = "braced", Tag = "Speed" });
        options.Nodes.Add(new OpcUaNodeMapping { BrowsePath = $"nsu={LineUri};Line/nsu={LineUri};Robot/nsu={LineUri};Speed", TwinId = "nsu", Tag = "Speed" });
        options.Nodes.Add(new OpcUaNodeMapping { NodeId = $"nsu={LineUri};s=Line.Robot.Speed", TwinId = "nodeid", Tag = "Speed" });
        // The Plant objects stay reachable by index in the same endpoint.
        options.Nodes.Add(new OpcUaNodeMapping { BrowsePath = "1:Plant/1:Machine1/1:Speed", TwinId = "plant", Tag = "Speed" });
        options.Discovery.Add(new OpcUaDiscoveryOptions { Root = $"{{{LineUri}}}Line", TwinIdTemplate = "d.{path}" });
        Assert.Empty(OpcUaOptionsValidator.Validate([options]));
        await using var connection = new OpcUaEndpointConnection(options, sink, NullLogger.Instance);
        await connection.StartAsync(CancellationToken.None);
        await connection.WaitUntilOnlineAsync(CancellationToken.None).WaitAsync(Timeout);

        await CollectingSink.WaitUntilAsync(
            () => new[] { "braced", "nsu", "nodeid", "d.Line.Robot", "plant" }.All(t => sink.Tags.ContainsKey((t, "Speed"))), Timeout, "Speed of every mapping");
        Assert.Equal(TagQuality.Good, sink.Tags[("nodeid", "Speed")].Quality);
        Assert.Equal(TagDataType.Double, sink.Descriptions["braced"].Tags.Single().DataType);

        var target = 10 + Random.Shared.Next(1, 1000) / 8.0;
        var delivery = await connection.SendAsync(new DeviceCommand(Guid.NewGuid().ToString("N"), "nsu", "Speed", null,
            TagValue.FromDouble(target), [], DateTimeOffset.UtcNow.AddMinutes(1)), CancellationToken.None);
        Assert.Contains(delivery.Status, new[] { CommandDeliveryStatus.Delivered, CommandDeliveryStatus.Applied });
        // One node, mapped four ways: every mapping sees the written value.
        await CollectingSink.WaitUntilAsync(
            () => new[] { "braced", "nsu", "nodeid", "d.Line.Robot" }.All(t => sink.Tags.TryGetValue((t, "Speed"), out var v) && v.Value.TryGetNumber(out var n) && n == target),
            Timeout, "the written speed reported to every mapping");
    }

    [Fact]
    public async Task The_default_namespace_can_be_given_by_uri()
    {
        await using var client = new UaClient(new UaClientOptions { EndpointUrl = plc.EndpointUrl });
        await client.ConnectAsync(CancellationToken.None);
        var options = Endpoint("default");
        options.BrowseNamespaceUri = LineUri;
        options.Nodes.Add(new OpcUaNodeMapping { BrowsePath = "Line/Robot/Speed", TwinId = "r", Tag = "Speed" });
        var mapping = await OpcUaMappingResolver.ResolveAsync(client, options, NullLogger.Instance, CancellationToken.None);
        var table = await NamespaceTable.ReadAsync(client, CancellationToken.None);
        Assert.Equal(new NodeId("Line.Robot.Speed", table.IndexOf(LineUri, "test")), mapping.Tags.Single().NodeId);
    }

    [Fact]
    public async Task A_namespace_uri_the_server_does_not_have_fails_naming_it_and_the_servers_namespaces()
    {
        await using var client = new UaClient(new UaClientOptions { EndpointUrl = plc.EndpointUrl });
        await client.ConnectAsync(CancellationToken.None);
        var options = Endpoint("missing");
        options.Nodes.Add(new OpcUaNodeMapping { BrowsePath = "{urn:nowhere}Line/Speed", TwinId = "r", Tag = "Speed" });
        var error = await Assert.ThrowsAsync<UaServiceException>(() => OpcUaMappingResolver.ResolveAsync(client, options, NullLogger.Instance, CancellationToken.None));
        Assert.Equal(StatusCode.BadNodeIdUnknown, error.Status);
        Assert.Contains("Browse path '{urn:nowhere}Line/Speed'", error.Message, StringComparison.Ordinal);
        Assert.Contains("namespace 'urn:nowhere' is not in the NamespaceArray", error.Message, StringComparison.Ordinal);
        Assert.Contains("2: " + LineUri, error.Message, StringComparison.Ordinal);
    }
}
