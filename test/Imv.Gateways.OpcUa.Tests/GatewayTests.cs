using Imv.Gateways.OpcUa.Gateway;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Imv.Gateways.OpcUa.Tests;

[Collection(PlcCollection.Name)]
public sealed class GatewayTests(PlcFixture plc)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private OpcUaEndpointOptions Endpoint(string name) => new()
    {
        Name = name,
        EndpointUrl = plc.EndpointUrl,
        SamplingIntervalMs = 50,
        PublishingIntervalMs = 50,
    };

    private static async Task<OpcUaEndpointConnection> StartAsync(OpcUaEndpointOptions options, CollectingSink sink)
    {
        Assert.Empty(OpcUaOptionsValidator.Validate([options]));
        var connection = new OpcUaEndpointConnection(options, sink, NullLogger.Instance);
        await connection.StartAsync(CancellationToken.None);
        await connection.WaitUntilOnlineAsync(CancellationToken.None).WaitAsync(Timeout);
        return connection;
    }

    private static DeviceCommand Write(string twin, string tag, TagValue value) =>
        new(Guid.NewGuid().ToString("N"), twin, tag, null, value, [], DateTimeOffset.UtcNow.AddMinutes(1));

    private static DeviceCommand Call(string twin, string method, params TagValue[] args) =>
        new(Guid.NewGuid().ToString("N"), twin, null, method, TagValue.None, args, DateTimeOffset.UtcNow.AddMinutes(1));

    [Fact]
    public async Task Discovery_turns_objects_into_twins_and_variables_into_tags()
    {
        var sink = new CollectingSink();
        var options = Endpoint("plc");
        options.Discovery.Add(new OpcUaDiscoveryOptions { Root = "Plant" });
        await using var connection = await StartAsync(options, sink);

        Assert.Equal(["plc.Plant.Machine1", "plc.Plant.Machine2"], sink.Descriptions.Keys.Order().ToArray());
        var machine = sink.Descriptions["plc.Plant.Machine1"];
        Assert.Equal("plc", machine.Gateway);
        var tags = machine.Tags.ToDictionary(t => t.Name);
        Assert.Equal(TagDataType.Double, tags["Temperature"].DataType);
        Assert.Equal("°C", tags["Temperature"].Unit);
        Assert.Null(tags["Speed"].Unit);
        Assert.Equal(TagDataType.Integer, tags["Speed"].DataType);
        Assert.Equal(TagDataType.Boolean, tags["Running"].DataType);
        Assert.Equal(TagDataType.String, tags["Status"].DataType);
        Assert.Equal(TagDataType.DoubleArray, tags["Vibration"].DataType);
        Assert.True(tags["Setpoint"].Writable);
        Assert.False(tags["ProcessValue"].Writable);

        await CollectingSink.WaitUntilAsync(() => sink.Tags.Keys.Count(k => k.TwinId == "plc.Plant.Machine1") == 10, Timeout, "all 10 tags of Machine1 reported");
        Assert.All(sink.Tags.Where(t => t.Key.TwinId == "plc.Plant.Machine1"), t => Assert.Equal(TagQuality.Good, t.Value.Quality));
        Assert.Equal(TwinConnectivity.Online, sink.StateOf("plc.Plant.Machine1"));
        await CollectingSink.WaitUntilAsync(() => sink.Log.Count(l => l.TwinId == "plc.Plant.Machine2" && l.Update.Tag == "Temperature") >= 3, Timeout, "changing temperature");
    }

    [Fact]
    public async Task A_setpoint_command_drives_the_process_value_and_is_applied()
    {
        var sink = new CollectingSink();
        var options = Endpoint("line");
        options.Nodes.Add(new OpcUaNodeMapping { BrowsePath = "Plant/Machine2/Setpoint", TwinId = "press", Tag = "Setpoint" });
        options.Nodes.Add(new OpcUaNodeMapping { NodeId = "ns=1;s=Plant.Machine2.ProcessValue", TwinId = "press", Tag = "ProcessValue" });
        await using var connection = await StartAsync(options, sink);
        await CollectingSink.WaitUntilAsync(() => sink.Tags.ContainsKey(("press", "Setpoint")), Timeout, "initial setpoint");

        var target = 70 + Random.Shared.Next(1, 20) + 0.25;
        var command = Write("press", "Setpoint", TagValue.FromDouble(target));
        var delivery = await connection.SendAsync(command, CancellationToken.None);
        Assert.Contains(delivery.Status, new[] { CommandDeliveryStatus.Delivered, CommandDeliveryStatus.Applied });
        if (delivery.Status == CommandDeliveryStatus.Delivered)
        {
            await CollectingSink.WaitUntilAsync(() => sink.Outcomes.Any(o => o.CommandId == command.CommandId), Timeout, "Applied outcome");
            Assert.Equal(CommandDeliveryStatus.Applied, sink.Outcomes.Single(o => o.CommandId == command.CommandId).Status);
        }
        await CollectingSink.WaitUntilAsync(
            () => sink.Tags.TryGetValue(("press", "ProcessValue"), out var pv) && pv.Value.TryGetNumber(out var v) && v == target,
            Timeout, "process value reaching the setpoint");
    }

    [Fact]
    public async Task Method_commands_are_called_and_applied_with_outputs()
    {
        var sink = new CollectingSink();
        var options = Endpoint("m");
        options.Discovery.Add(new OpcUaDiscoveryOptions { Root = "ns=1;s=Plant.Machine1", TwinIdTemplate = "{name}" });
        await using var connection = await StartAsync(options, sink);

        var product = await connection.SendAsync(Call("Machine1", "Multiply", TagValue.FromDouble(6), TagValue.FromDouble(7)), CancellationToken.None);
        Assert.Equal(CommandDeliveryStatus.Applied, product.Status);
        Assert.Equal(42.0, product.Outputs![0].AsDouble());

        var stop = await connection.SendAsync(Call("Machine1", "Stop"), CancellationToken.None);
        Assert.Equal(CommandDeliveryStatus.Applied, stop.Status);
        await CollectingSink.WaitUntilAsync(() => sink.Tags.TryGetValue(("Machine1", "Running"), out var r) && !r.Value.AsBoolean(), Timeout, "machine stopped");
        Assert.Equal(CommandDeliveryStatus.Applied, (await connection.SendAsync(Call("Machine1", "Start"), CancellationToken.None)).Status);
        await CollectingSink.WaitUntilAsync(() => sink.Tags.TryGetValue(("Machine1", "Running"), out var r) && r.Value.AsBoolean(), Timeout, "machine started");

        var wrongArgs = await connection.SendAsync(Call("Machine1", "Multiply", TagValue.FromString("x")), CancellationToken.None);
        Assert.Equal(CommandDeliveryStatus.Rejected, wrongArgs.Status);
        Assert.StartsWith("Bad", wrongArgs.Reason, StringComparison.Ordinal);
        var unknown = await connection.SendAsync(Call("Machine1", "Explode"), CancellationToken.None);
        Assert.Equal(CommandDeliveryStatus.Rejected, unknown.Status);
        Assert.StartsWith("BadMethodInvalid", unknown.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_write_of_the_wrong_type_is_rejected_with_its_status_name()
    {
        var sink = new CollectingSink();
        var options = Endpoint("w");
        options.Nodes.Add(new OpcUaNodeMapping { NodeId = "ns=1;s=Types.Double", TwinId = "t", Tag = "Double" });
        options.Nodes.Add(new OpcUaNodeMapping { NodeId = "ns=1;s=Plant.Machine1.ProcessValue", TwinId = "t", Tag = "Pv" });
        await using var connection = await StartAsync(options, sink);
        var wrong = await connection.SendAsync(Write("t", "Double", TagValue.FromString("hot")), CancellationToken.None);
        Assert.Equal(CommandDeliveryStatus.Rejected, wrong.Status);
        Assert.Equal("BadTypeMismatch", wrong.Reason);
        var readOnly = await connection.SendAsync(Write("t", "Pv", TagValue.FromDouble(1)), CancellationToken.None);
        Assert.Equal(CommandDeliveryStatus.Rejected, readOnly.Status);
        Assert.Equal("BadNotWritable", readOnly.Reason);
        var expired = await connection.SendAsync(Write("t", "Double", TagValue.FromDouble(1)) with { ExpiresAt = DateTimeOffset.UtcNow.AddSeconds(-1) }, CancellationToken.None);
        Assert.Equal(CommandDeliveryStatus.Rejected, expired.Status);
    }

    [Fact]
    public async Task A_thousand_monitored_items_all_report_in_batches()
    {
        var sink = new CollectingSink();
        var options = Endpoint("bulk");
        options.Discovery.Add(new OpcUaDiscoveryOptions { Root = "Bulk", TwinIdTemplate = "{endpoint}.{name}" });
        options.SamplingIntervalMs = 100;
        options.PublishingIntervalMs = 100;
        await using var connection = await StartAsync(options, sink);
        Assert.Equal(1000, sink.Descriptions["bulk.Bulk"].Tags.Count(t => t.Name.StartsWith('V')));
        await CollectingSink.WaitUntilAsync(() => sink.Tags.Keys.Count(k => k.TwinId == "bulk.Bulk" && k.Tag.StartsWith('V')) == 1000, Timeout, "1000 tags reported");
        var before = connection.NotificationCount;
        await CollectingSink.WaitUntilAsync(() => connection.NotificationCount >= before + 3000, Timeout, "3 more rounds of changes");
        Assert.All(sink.Tags.Where(t => t.Key.TwinId == "bulk.Bulk"), t => Assert.Equal(TagQuality.Good, t.Value.Quality));
    }

    [Fact]
    public async Task Publish_responses_are_cut_at_MaxNotificationsPerPublish_and_every_change_still_arrives()
    {
        var sink = new CollectingSink();
        var options = Endpoint("cut");
        options.Discovery.Add(new OpcUaDiscoveryOptions { Root = "Bulk", TwinIdTemplate = "{endpoint}.{name}" });
        options.SamplingIntervalMs = 100;
        options.PublishingIntervalMs = 500; // about 2,500 changes per publishing interval
        options.MaxNotificationsPerPublish = 200;
        await using var connection = await StartAsync(options, sink);
        await CollectingSink.WaitUntilAsync(() => sink.Tags.Keys.Count(k => k.TwinId == "cut.Bulk" && k.Tag.StartsWith('V')) == 1000, Timeout, "1000 tags reported");
        var before = connection.NotificationCount;
        await CollectingSink.WaitUntilAsync(() => connection.NotificationCount >= before + 5000, Timeout, "5 more rounds of changes");
        // One batch per twin per notification message: no message carried more than 200.
        Assert.InRange(sink.LargestBatch, 1, 200);
    }

    [Fact]
    public async Task A_node_the_server_rejects_is_reported_Bad_and_the_rest_keeps_working()
    {
        var sink = new CollectingSink();
        var options = Endpoint("partial");
        options.Nodes.Add(new OpcUaNodeMapping { NodeId = "ns=1;s=Does.Not.Exist", TwinId = "m", Tag = "Ghost" });
        options.Nodes.Add(new OpcUaNodeMapping { NodeId = "ns=1;s=Plant.Machine1.Temperature", TwinId = "m", Tag = "Temperature" });
        await using var connection = await StartAsync(options, sink);
        await CollectingSink.WaitUntilAsync(() => sink.Tags.ContainsKey(("m", "Ghost")) && sink.Tags.ContainsKey(("m", "Temperature")), Timeout, "both tags reported");
        Assert.Equal(TagQuality.Bad, sink.Tags[("m", "Ghost")].Quality);
        Assert.Equal(TagQuality.Good, sink.Tags[("m", "Temperature")].Quality);
        var write = await connection.SendAsync(Write("m", "Ghost", TagValue.FromDouble(1)), CancellationToken.None);
        Assert.Equal(CommandDeliveryStatus.Rejected, write.Status);
        Assert.Equal("BadNodeIdUnknown", write.Reason);
    }
}
