using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Gateways.Simulation;

/// <summary>A simulated plant of sites x lines x machines that feeds the twins through the same
/// <see cref="IPlantEventSink"/> a real gateway uses and takes commands through <see cref="IPlantGateway"/>.
/// Deterministic for a seed and a sequence of commands: time only moves in <see cref="StepAsync"/>, by the
/// tick interval (or the given step), never by the wall clock. <see cref="SimulatedPlantService"/> calls it
/// on a timer in the silo.</summary>
public sealed class SimulatedPlant : IPlantGateway
{
    private readonly SimulatorOptions _options;
    private readonly IPlantEventSink _sink;
    private readonly Random _rng;
    private readonly SimulatedMachine[] _machines;
    private readonly Dictionary<string, SimulatedMachine> _byId;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _tickGate = new(1, 1);
    private readonly List<(string TwinId, string CommandId)> _pendingOutcomes = [];
    private long _sequence;
    private bool _started;

    /// <summary>Builds the plant (validating the options). <paramref name="start"/> is the simulated time of the
    /// first reading; default: now.</summary>
    public SimulatedPlant(SimulatorOptions options, IPlantEventSink sink, DateTimeOffset? start = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        _options = options;
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _rng = new Random(options.Seed);
        Now = start ?? DateTimeOffset.UtcNow;
        Topology = SimulatedTopology.From(options);
        var machines = new List<SimulatedMachine>(options.MachineCount);
        foreach (var site in Topology.Sites)
        foreach (var line in site.Lines)
        foreach (var id in line.Machines)
        {
            var running = _rng.NextDouble() < options.InitiallyRunning;
            var speed = Math.Round(60 + _rng.NextDouble() * 40);          // 60..100 parts/min
            var temperature = Math.Round(180 + _rng.NextDouble() * 40);   // 180..220 degC
            machines.Add(new SimulatedMachine(id, site.Id, line.Id, running ? SimulatedMachineState.Running : SimulatedMachineState.Idle, speed, temperature));
        }
        _machines = [.. machines];
        _byId = _machines.ToDictionary(m => m.Id, StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public string Name => _options.GatewayName;

    /// <summary>The organization tree simulated (sites, lines, machines).</summary>
    public SimulatedTopology Topology { get; }

    /// <summary>The simulated time of the last tick.</summary>
    public DateTimeOffset Now { get; private set; }

    /// <summary>The options in use.</summary>
    public SimulatorOptions Options => _options;

    /// <summary>The machines, in topology order (read them between ticks).</summary>
    public IReadOnlyList<SimulatedMachine> Machines => _machines;

    /// <summary>The configuration a machine's twin needs: this gateway, its line as organization, the tag
    /// metadata, the methods, and the status mapping (running, faulted, partCount, goodCount, ideal cycle time)
    /// from which the twin derives the <see cref="MachineStatus"/> it reports to its line.</summary>
    public TwinConfiguration TwinConfigurationFor(string machineId)
    {
        var machine = Find(machineId) ?? throw new ArgumentException($"No simulated machine '{machineId}'.", nameof(machineId));
        return new TwinConfiguration(
            Gateway: Name,
            OrganizationId: machine.Line,
            Tags: SimulatedMachine.Tags,
            Methods: [TagNames.MethodStart, TagNames.MethodStop, TagNames.MethodReset],
            Status: new StatusMapping(TagNames.Running, TagNames.Faulted, TagNames.PartCount, TagNames.GoodCount, SimulatedMachine.IdealCycleTime));
    }

    /// <summary>A machine by twin id, or null.</summary>
    public SimulatedMachine? Find(string twinId) => _byId.GetValueOrDefault(twinId);

    /// <summary>Announces every machine (description with tag metadata, Online) and sends its first readings.
    /// Idempotent.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _tickGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_started) return;
            foreach (var m in _machines)
            {
                await _sink.DescribeTwinAsync(new TwinDescription(m.Id, Name, SimulatedMachine.Tags), cancellationToken).ConfigureAwait(false);
                await _sink.SetTwinConnectivityAsync(m.Id, TwinConnectivity.Online, "simulator started", cancellationToken).ConfigureAwait(false);
            }
            await PublishAsync(Snapshot(), [], cancellationToken).ConfigureAwait(false);
            _started = true;
        }
        finally { _tickGate.Release(); }
    }

    /// <summary>Advances the plant by one tick of <paramref name="step"/> (default: the tick interval), then sends
    /// every machine's readings (one batch per machine) and the outcomes of the commands applied since the last
    /// tick (after the readings, so the readback is there first).</summary>
    public async Task StepAsync(TimeSpan? step = null, CancellationToken cancellationToken = default)
    {
        var dt = step ?? _options.TickInterval;
        if (dt <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(step), dt, "A step must be positive.");
        await _tickGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_started) throw new InvalidOperationException("Call StartAsync before StepAsync.");
            TagUpdate[][] readings;
            (string, string)[] outcomes;
            lock (_lock)
            {
                Now += dt;
                foreach (var m in _machines) m.Step(dt, _rng, _options);
                readings = Snapshot();
                outcomes = [.. _pendingOutcomes];
                _pendingOutcomes.Clear();
            }
            await PublishAsync(readings, outcomes, cancellationToken).ConfigureAwait(false);
        }
        finally { _tickGate.Release(); }
    }

    /// <summary>Runs <paramref name="ticks"/> ticks.</summary>
    public async Task RunTicksAsync(int ticks, CancellationToken cancellationToken = default)
    {
        for (var i = 0; i < ticks; i++) await StepAsync(null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reports every machine Offline (the simulator stops).</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _tickGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_started) return;
            foreach (var m in _machines)
                await _sink.SetTwinConnectivityAsync(m.Id, TwinConnectivity.Offline, "simulator stopped", cancellationToken).ConfigureAwait(false);
            _started = false;
        }
        finally { _tickGate.Release(); }
    }

    /// <summary>Applies a command at once: a write of <c>speedSetpoint</c> or <c>temperatureSetpoint</c> within
    /// limits, or a method <c>Start</c>, <c>Stop</c>, <c>Reset</c>. Returns Delivered, and reports Applied through
    /// the sink after the next tick's readings; Rejected (with the reason) for an unknown machine or tag, a value
    /// out of limits, or a method the machine's state refuses; Expired when the command expired in simulated time.</summary>
    public ValueTask<CommandDelivery> SendAsync(DeviceCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var result = Apply(command);
            if (result.Status == CommandDeliveryStatus.Delivered) _pendingOutcomes.Add((command.TwinId, command.CommandId));
            return ValueTask.FromResult(result);
        }
    }

    private CommandDelivery Apply(DeviceCommand command)
    {
        if (command.ExpiresAt != default && command.ExpiresAt < Now) return new CommandDelivery(CommandDeliveryStatus.Expired, $"Expired at {command.ExpiresAt:O}.");
        if (!_byId.TryGetValue(command.TwinId, out var machine)) return CommandDelivery.Rejected($"No simulated machine '{command.TwinId}'.");
        if (command.Tag is { } tag)
        {
            var meta = SimulatedMachine.Tags.FirstOrDefault(t => t.Name == tag);
            if (meta is null) return CommandDelivery.Rejected($"No tag '{tag}'.");
            if (!meta.Writable) return CommandDelivery.Rejected($"Tag '{tag}' is read-only.");
            if (!command.Value.TryGetNumber(out var value) || double.IsNaN(value)) return CommandDelivery.Rejected($"Tag '{tag}' takes a number, not {command.Value}.");
            if (value < meta.Minimum || value > meta.Maximum)
                return CommandDelivery.Rejected($"{value} is outside {tag}'s limits [{meta.Minimum}, {meta.Maximum}].");
            if (tag == TagNames.SpeedSetpoint) machine.SpeedSetpoint = value;
            else machine.TemperatureSetpoint = value;
            return CommandDelivery.Delivered;
        }
        string? refusal = command.Method switch
        {
            TagNames.MethodStart => machine.Start(),
            TagNames.MethodStop => Stop(machine),
            TagNames.MethodReset => machine.Reset(),
            null => "A command needs a tag or a method.",
            _ => $"No method '{command.Method}' (Start, Stop, Reset).",
        };
        return refusal is null ? CommandDelivery.Delivered : CommandDelivery.Rejected(refusal);

        static string? Stop(SimulatedMachine m)
        {
            m.Stop();
            return null;
        }
    }

    private TagUpdate[][] Snapshot()
    {
        var sequence = ++_sequence;
        var result = new TagUpdate[_machines.Length][];
        for (var i = 0; i < _machines.Length; i++)
        {
            var batch = new TagUpdate[SimulatedMachine.Tags.Count];
            _machines[i].Write(batch, Now, sequence);
            result[i] = batch;
        }
        return result;
    }

    private async Task PublishAsync(TagUpdate[][] readings, (string TwinId, string CommandId)[] outcomes, CancellationToken cancellationToken)
    {
        for (var i = 0; i < readings.Length; i++)
            await _sink.WriteTelemetryAsync(_machines[i].Id, readings[i], cancellationToken).ConfigureAwait(false);
        foreach (var (twinId, commandId) in outcomes)
            await _sink.ReportCommandOutcomeAsync(twinId, commandId, CommandDeliveryStatus.Applied, null, cancellationToken).ConfigureAwait(false);
    }
}
