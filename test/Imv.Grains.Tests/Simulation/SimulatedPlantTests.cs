using System.Collections.Concurrent;
using Imv.Gateways.Simulation;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace Imv.Grains.Tests.Simulation;

internal sealed class RecordingSink : IPlantEventSink
{
    public readonly ConcurrentQueue<string> Log = new();
    public readonly ConcurrentDictionary<string, Dictionary<string, TagValue>> Latest = new();
    public readonly ConcurrentQueue<TwinDescription> Descriptions = new();
    public readonly ConcurrentDictionary<string, TwinConnectivity> Connectivity = new();
    public int TelemetryBatches;

    public ValueTask WriteTelemetryAsync(string twinId, ReadOnlyMemory<TagUpdate> updates, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref TelemetryBatches);
        var latest = Latest.GetOrAdd(twinId, _ => new Dictionary<string, TagValue>());
        lock (latest)
            foreach (var u in updates.Span) latest[u.Tag] = u.Value;
        Log.Enqueue($"T {twinId} " + string.Join(",", updates.ToArray().Select(u => $"{u.Tag}={u.Value}@{u.SourceTimestamp.UtcTicks}")));
        return ValueTask.CompletedTask;
    }

    public ValueTask DescribeTwinAsync(TwinDescription description, CancellationToken cancellationToken)
    {
        Descriptions.Enqueue(description);
        Log.Enqueue($"D {description.TwinId}");
        return ValueTask.CompletedTask;
    }

    public ValueTask SetTwinConnectivityAsync(string twinId, TwinConnectivity connectivity, string reason, CancellationToken cancellationToken)
    {
        Connectivity[twinId] = connectivity;
        Log.Enqueue($"C {twinId} {connectivity}");
        return ValueTask.CompletedTask;
    }

    public ValueTask ReportCommandOutcomeAsync(string twinId, string commandId, CommandDeliveryStatus status, string? reason, CancellationToken cancellationToken)
    {
        Log.Enqueue($"O {twinId} {commandId} {status}");
        return ValueTask.CompletedTask;
    }

    public double Number(string twin, string tag) { lock (Latest[twin]) return Latest[twin][tag].TryGetNumber(out var n) ? n : double.NaN; }
    public string Text(string twin, string tag) { lock (Latest[twin]) return Latest[twin][tag].ToString(); }
}

public sealed class SimulatedPlantTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 6, 0, 0, TimeSpan.Zero);

    private static SimulatorOptions Small(int seed = 7) => new() { Sites = 2, LinesPerSite = 2, MachinesPerLine = 5, Seed = seed };

    private static DeviceCommand Write(string twin, string tag, double value, string id = "c1") =>
        new(id, twin, tag, null, TagValue.FromDouble(value), [], default);

    private static DeviceCommand Call(string twin, string method, string id = "c1") =>
        new(id, twin, null, method, TagValue.None, [], default);

    [Fact]
    public void Defaults_give_1000_machines_with_predictable_ids_and_the_tree()
    {
        var options = new SimulatorOptions();
        Assert.Empty(options.Validate());
        Assert.True(options.Enabled);
        Assert.Equal(1000, options.MachineCount);
        var topology = SimulatedTopology.From(options);
        Assert.Equal(["site-1", "site-2"], topology.Sites.Select(s => s.Id));
        Assert.Equal(10, topology.Sites[0].Lines.Count);
        Assert.Equal("site-1.line-03", topology.Sites[0].Lines[2].Id);
        Assert.Equal("site-1.line-03.machine-007", topology.Sites[0].Lines[2].Machines[6]);
        Assert.Equal(1000, topology.MachineIds.Distinct().Count());
        Assert.Equal("plant/2/4/9", new SimulatorOptions { TwinIdTemplate = "plant/{site}/{line}/{machine}" }.FormatTwinId(2, 4, 9));
    }

    [Theory]
    [InlineData("Sites", "0", "Simulator:Sites", "was 0")]
    [InlineData("MachinesPerLine", "-3", "Simulator:MachinesPerLine", "was -3")]
    [InlineData("TickInterval", "00:00:00", "Simulator:TickInterval", "was 00:00:00")]
    [InlineData("FaultRate", "-1", "Simulator:FaultRate", "was -1")]
    [InlineData("ScrapRate", "1.5", "Simulator:ScrapRate", "was 1.5")]
    [InlineData("TwinIdTemplate", "site-{site}.line-{line}", "Simulator:TwinIdTemplate", "{machine}")]
    [InlineData("TwinIdTemplate", "m-{site}-{line}-{machine}-{shift}", "Simulator:TwinIdTemplate", "shift")]
    public void Configuration_is_bound_and_validated_with_errors_naming_key_and_value(string key, string value, string expectedKey, string expectedText)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [$"Simulator:{key}"] = value }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IPlantEventSink>(new RecordingSink());
        services.AddLogging();
        services.AddSimulatedPlant(configuration);
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SimulatorOptions>>().Value);
        Assert.Contains(expectedKey, e.Message, StringComparison.Ordinal);
        Assert.Contains(expectedText, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_configuration_binds_registers_the_gateway_and_the_loop_unless_disabled()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Simulator:Sites"] = "3", ["Simulator:LinesPerSite"] = "2", ["Simulator:MachinesPerLine"] = "4",
            ["Simulator:TickInterval"] = "00:00:00.250", ["Simulator:Seed"] = "99", ["Simulator:GatewayName"] = "sim-a",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IPlantEventSink>(new RecordingSink());
        services.AddLogging();
        services.AddSimulatedPlant(configuration);
        using var provider = services.BuildServiceProvider();
        var plant = provider.GetRequiredService<SimulatedPlant>();
        Assert.Equal(24, plant.Machines.Count);
        Assert.Equal(TimeSpan.FromMilliseconds(250), plant.Options.TickInterval);
        Assert.Same(plant, provider.GetRequiredService<IPlantGateway>());
        Assert.Equal("sim-a", provider.GetRequiredService<IPlantGateway>().Name);
        Assert.Single(provider.GetServices<IHostedService>());

        var disabled = new ServiceCollection();
        disabled.AddSingleton<IPlantEventSink>(new RecordingSink());
        disabled.AddSimulatedPlant(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Simulator:Enabled"] = "false" }).Build());
        Assert.DoesNotContain(disabled, d => d.ServiceType == typeof(IHostedService));
    }

    [Fact]
    public async Task Start_describes_every_twin_with_metadata_and_brings_it_online()
    {
        var sink = new RecordingSink();
        var plant = new SimulatedPlant(Small(), sink, T0);
        await plant.StartAsync();
        await plant.StartAsync(); // idempotent
        Assert.Equal(20, sink.Descriptions.Count);
        var d = sink.Descriptions.First();
        Assert.Equal("simulator", d.Gateway);
        var speed = d.Tags.Single(t => t.Name == TagNames.SpeedSetpoint);
        Assert.True(speed.Writable);
        Assert.Equal(0, speed.Minimum);
        Assert.Equal(120, speed.Maximum);
        Assert.Equal("degC", d.Tags.Single(t => t.Name == TagNames.Temperature).Unit);
        Assert.False(d.Tags.Single(t => t.Name == TagNames.Temperature).Writable);
        Assert.All(plant.Topology.MachineIds, id => Assert.Equal(TwinConnectivity.Online, sink.Connectivity[id]));
        Assert.Equal(20, sink.TelemetryBatches);
        await plant.StopAsync();
        Assert.All(plant.Topology.MachineIds, id => Assert.Equal(TwinConnectivity.Offline, sink.Connectivity[id]));
    }

    [Fact]
    public async Task Same_seed_gives_the_same_plant_and_another_seed_does_not()
    {
        async Task<string[]> Run(int seed)
        {
            var sink = new RecordingSink();
            var plant = new SimulatedPlant(Small(seed) with { FaultRate = 30 }, sink, T0);
            await plant.StartAsync();
            await plant.RunTicksAsync(200);
            await plant.SendAsync(Write(plant.Machines[3].Id, TagNames.SpeedSetpoint, 42), default);
            await plant.RunTicksAsync(100);
            return [.. sink.Log];
        }
        var a = await Run(11);
        var b = await Run(11);
        var c = await Run(12);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public async Task Dynamics_are_plausible()
    {
        var sink = new RecordingSink();
        var plant = new SimulatedPlant(Small() with { FaultRate = 0, InitiallyRunning = 1 }, sink, T0);
        await plant.StartAsync();
        var m = plant.Machines[0];
        await plant.SendAsync(Write(m.Id, TagNames.TemperatureSetpoint, 150), default);
        await plant.RunTicksAsync(600); // ten minutes
        Assert.Equal(T0.AddMinutes(10), plant.Now);
        Assert.InRange(sink.Number(m.Id, TagNames.Temperature), 145, 155); // settled on the new setpoint (tau 60 s)
        Assert.Equal(m.SpeedSetpoint, sink.Number(m.Id, TagNames.Speed));
        Assert.InRange(sink.Number(m.Id, TagNames.Pressure), 1, 6);
        var expectedParts = m.SpeedSetpoint * 10;
        Assert.InRange(sink.Number(m.Id, TagNames.PartCount), expectedParts * 0.9, expectedParts * 1.01);
        Assert.True(m.GoodCount <= m.PartCount && m.GoodCount > m.PartCount * 0.85);
        Assert.Equal(600, sink.Number(m.Id, TagNames.RunTime));
        Assert.Equal("Running", sink.Text(m.Id, TagNames.State));

        // Stopping ramps the speed down and the machine cools towards ambient.
        await plant.SendAsync(Call(m.Id, TagNames.MethodStop, "c2"), default);
        await plant.RunTicksAsync(600);
        Assert.Equal("Idle", sink.Text(m.Id, TagNames.State));
        Assert.Equal(0, sink.Number(m.Id, TagNames.Speed));
        Assert.InRange(sink.Number(m.Id, TagNames.Temperature), 15, 30);
        Assert.Equal(1200, sink.Number(m.Id, TagNames.PlannedTime));
    }

    [Fact]
    public async Task Random_faults_happen_and_clear_by_reset_or_operator()
    {
        var sink = new RecordingSink();
        var plant = new SimulatedPlant(Small() with { FaultRate = 60, InitiallyRunning = 1, AutoResetAfter = TimeSpan.Zero }, sink, T0);
        await plant.StartAsync();
        await plant.RunTicksAsync(600); // 60 faults/h for 10 min: each machine faults with p = 1 - e^-10
        var faulted = plant.Machines.Where(x => x.State == SimulatedMachineState.Faulted).ToList();
        Assert.True(faulted.Count >= 18, $"{faulted.Count} faulted");
        var f = faulted[0];
        Assert.Equal(1, sink.Number(f.Id, TagNames.ActiveAlarms));
        Assert.NotEqual(0, sink.Number(f.Id, TagNames.FaultCode));
        Assert.Equal(0, sink.Number(f.Id, TagNames.Speed));

        Assert.Equal(CommandDeliveryStatus.Rejected, (await plant.SendAsync(Call(f.Id, TagNames.MethodStart), default)).Status);
        Assert.Equal(CommandDeliveryStatus.Delivered, (await plant.SendAsync(Call(f.Id, TagNames.MethodReset, "r1"), default)).Status);
        Assert.Equal(CommandDeliveryStatus.Delivered, (await plant.SendAsync(Call(f.Id, TagNames.MethodStart, "s1"), default)).Status);
        await plant.StepAsync();
        Assert.Equal("Running", sink.Text(f.Id, TagNames.State));
        Assert.Equal(0, sink.Number(f.Id, TagNames.ActiveAlarms));

        var auto = new SimulatedPlant(Small() with { FaultRate = 60, InitiallyRunning = 1, AutoResetAfter = TimeSpan.FromSeconds(30) }, new RecordingSink(), T0);
        await auto.StartAsync();
        var everFaulted = new HashSet<string>();
        for (var i = 0; i < 600; i++)
        {
            await auto.StepAsync();
            foreach (var x in auto.Machines.Where(x => x.State == SimulatedMachineState.Faulted)) everFaulted.Add(x.Id);
        }
        Assert.NotEmpty(everFaulted);
        Assert.All(auto.Machines, x => Assert.True(x.State == SimulatedMachineState.Running || x.FaultedFor < TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Commands_are_checked_applied_and_confirmed_after_the_readback()
    {
        var sink = new RecordingSink();
        var plant = new SimulatedPlant(Small() with { FaultRate = 0, InitiallyRunning = 1 }, sink, T0);
        await plant.StartAsync();
        var id = plant.Machines[1].Id;

        var ok = await plant.SendAsync(Write(id, TagNames.SpeedSetpoint, 80, "set-80"), default);
        Assert.Equal(CommandDeliveryStatus.Delivered, ok.Status);
        Assert.Equal(CommandDeliveryStatus.Rejected, (await plant.SendAsync(Write(id, TagNames.SpeedSetpoint, 500, "x1"), default)).Status);
        Assert.Equal(CommandDeliveryStatus.Rejected, (await plant.SendAsync(Write(id, TagNames.TemperatureSetpoint, 5, "x2"), default)).Status);
        Assert.Equal(CommandDeliveryStatus.Rejected, (await plant.SendAsync(Write(id, TagNames.Temperature, 100, "x3"), default)).Status);
        Assert.Equal(CommandDeliveryStatus.Rejected, (await plant.SendAsync(Write(id, "nope", 1, "x4"), default)).Status);
        Assert.Equal(CommandDeliveryStatus.Rejected, (await plant.SendAsync(Write("site-9.line-01.machine-001", TagNames.SpeedSetpoint, 1, "x5"), default)).Status);
        Assert.Equal(CommandDeliveryStatus.Rejected, (await plant.SendAsync(Call(id, "SelfDestruct", "x6"), default)).Status);
        var expired = new DeviceCommand("x7", id, TagNames.SpeedSetpoint, null, TagValue.FromDouble(10), [], T0.AddSeconds(-1));
        Assert.Equal(CommandDeliveryStatus.Expired, (await plant.SendAsync(expired, default)).Status);
        Assert.Equal(CommandDeliveryStatus.Rejected, (await plant.SendAsync(new DeviceCommand("x8", id, TagNames.SpeedSetpoint, null, TagValue.FromString("fast"), [], default), default)).Status);

        var before = sink.Log.Count;
        await plant.StepAsync();
        var tick = sink.Log.Skip(before).ToList();
        var readback = tick.FindIndex(l => l.StartsWith($"T {id} ", StringComparison.Ordinal) && l.Contains("speedSetpoint=80@", StringComparison.Ordinal));
        var applied = tick.FindIndex(l => l == $"O {id} set-80 Applied");
        Assert.True(readback >= 0 && applied > readback, "the readback comes before Applied");
        Assert.Single(tick, l => l.StartsWith("O ", StringComparison.Ordinal)); // rejected ones are not reported again

        await plant.RunTicksAsync(10);
        Assert.Equal(80, sink.Number(id, TagNames.Speed));
    }

    [Fact]
    public async Task Hosted_loop_ticks_in_real_time_and_reports_offline_on_stop()
    {
        var sink = new RecordingSink();
        var plant = new SimulatedPlant(Small() with { TickInterval = TimeSpan.FromMilliseconds(20) }, sink);
        var service = new SimulatedPlantService(plant, NullLogger<SimulatedPlantService>.Instance);
        await service.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (sink.TelemetryBatches < 20 * 4 && DateTime.UtcNow < deadline) await Task.Delay(20);
        await service.StopAsync(CancellationToken.None);
        Assert.True(sink.TelemetryBatches >= 80, $"{sink.TelemetryBatches} batches");
        Assert.All(plant.Topology.MachineIds, id => Assert.Equal(TwinConnectivity.Offline, sink.Connectivity[id]));
    }
}
