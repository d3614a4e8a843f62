using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Twins;
using Imv.Runtime;
using Imv.Runtime.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Grains.ControlLoops;

/// <summary>A closed loop on grain timers. A durable reminder keeps an enabled loop alive: after a silo
/// restart it reactivates the loop, whose activation restarts the timer.</summary>
public sealed class ControlLoopGrain : Grain, IControlLoopGrain, IRemindable
{
    private const string KeepAlive = "keep-alive";
    private static readonly TimeSpan KeepAlivePeriod = TimeSpan.FromMinutes(1);

    private readonly IPersistentState<LoopState> _state;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private IGrainTimer? _timer;
    private TagDataType _outputType;

    /// <summary>Creates the grain (the runtime does).</summary>
    public ControlLoopGrain([PersistentState("loop")] IPersistentState<LoopState> state, TimeProvider? time, ILogger<ControlLoopGrain>? logger)
    {
        _state = state;
        _time = time ?? TimeProvider.System;
        _log = (ILogger?)logger ?? NullLogger.Instance;
    }

    private LoopState S => _state.State;
    private string LoopId => this.GetPrimaryKeyString();

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (S.Enabled && S.Configuration is not null) StartTimer();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task ConfigureAsync(ControlLoopConfiguration configuration)
    {
        LoopState.Validate(configuration);
        S.Configuration = configuration;
        S.OnOff = new OnOffLaw();
        S.Pid = new PidLaw();
        if (configuration.Pid is not null && S.LastOutput is { } last) S.Pid.Reset(Math.Clamp(last, configuration.OutputMinimum, configuration.OutputMaximum), configuration.Pid);
        S.LastRunTicks = 0;
        _outputType = TagDataType.None;
        await _state.WriteStateAsync();
        if (S.Enabled) StartTimer();
        _log.LogInformation("Control loop {LoopId} configured: {Law} on {MeasuredTwinId}/{MeasuredTag} -> {OutputTwinId}/{OutputTag}, setpoint {Setpoint}",
            LoopId, configuration.Law, configuration.MeasuredTwinId, configuration.MeasuredTag, configuration.OutputTwinId, configuration.OutputTag, configuration.Setpoint);
    }

    /// <inheritdoc />
    public async Task EnableAsync()
    {
        if (S.Configuration is null) throw new InvalidOperationException($"Control loop '{LoopId}' is not configured.");
        S.Enabled = true;
        await _state.WriteStateAsync();
        await RegisterOrUpdateReminder(KeepAlive, KeepAlivePeriod, KeepAlivePeriod);
        StartTimer();
        _log.LogInformation("Control loop {LoopId} enabled", LoopId);
    }

    /// <inheritdoc />
    public async Task DisableAsync()
    {
        S.Enabled = false;
        await _state.WriteStateAsync();
        _timer?.Dispose();
        _timer = null;
        if (await GetReminder(KeepAlive) is { } reminder) await UnregisterReminder(reminder);
        _log.LogInformation("Control loop {LoopId} disabled", LoopId);
    }

    /// <inheritdoc />
    public async Task SetSetpointAsync(double setpoint)
    {
        if (S.Configuration is not { } c) throw new InvalidOperationException($"Control loop '{LoopId}' is not configured.");
        var changed = c with { Setpoint = setpoint };
        LoopState.Validate(changed);
        S.Configuration = changed;
        await _state.WriteStateAsync();
    }

    /// <inheritdoc />
    public Task<LoopIteration> RunOnceAsync() => IterateAsync();

    /// <inheritdoc />
    public async Task OnMeasurementAsync()
    {
        if (!S.Enabled || S.Configuration is null) return;
        try { await IterateAsync(); }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _log.LogWarning(ex, "Control loop {LoopId}: event-driven iteration failed", LoopId);
        }
    }

    /// <inheritdoc />
    public Task<ControlLoopStatus> GetStatusAsync() =>
        Task.FromResult(new ControlLoopStatus(LoopId, S.Configuration, S.Enabled, S.LastOutput, S.IterationCount, [.. S.History]));

    /// <inheritdoc />
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != KeepAlive) return;
        if (!S.Enabled)
        {
            if (await GetReminder(KeepAlive) is { } reminder) await UnregisterReminder(reminder);
            return;
        }
        // The activation (re)started the timer; start it here too in case it was lost.
        if (_timer is null && S.Configuration is not null) StartTimer();
    }

    private void StartTimer()
    {
        var period = S.Configuration!.SamplePeriod;
        _timer?.Dispose();
        _timer = RegisterGrainTimer(async _ =>
        {
            if (!S.Enabled) return;
            try { await IterateAsync(); }
            catch (InconsistentStateException ex)
            {
                // Another activation wrote the state (this one is stale): stop and let the next call reload it.
                _log.LogWarning(ex, "Control loop {LoopId} state changed elsewhere; deactivating", LoopId);
                _timer?.Dispose();
                _timer = null;
                DeactivateOnIdle();
            }
        }, period, period);
    }

    private async Task<LoopIteration> IterateAsync()
    {
        var c = S.Configuration ?? throw new InvalidOperationException($"Control loop '{LoopId}' is not configured.");
        TagSnapshot? measured = null;
        string? readFailure = null;
        try { measured = await GrainFactory.GetGrain<IMachineGrain>(c.MeasuredTwinId).GetTagAsync(c.MeasuredTag); }
        catch (Exception ex) when (ex is not OutOfMemoryException) { readFailure = $"read failed: {ex.GetType().Name}"; }
        var now = _time.GetUtcNow();
        var (output, safe, note) = S.Decide(measured, now);
        note = readFailure ?? note;
        string? commandId = null;
        CommandDeliveryStatus? commandStatus = null;
        if (S.LastOutput != output)
        {
            commandId = LoopId + "-" + Guid.NewGuid().ToString("N");
            try
            {
                var twin = GrainFactory.GetGrain<IMachineGrain>(c.OutputTwinId);
                var value = await ToValueAsync(twin, c.OutputTag, output);
                var record = await twin.SubmitCommandAsync(new CommandRequest(commandId, IssuerKind.ControlLoop, LoopId, c.OutputTag, null, value, null, c.SamplePeriod * 2));
                commandStatus = record.Status;
                if (record.Status is CommandDeliveryStatus.Rejected or CommandDeliveryStatus.Expired) note = record.Reason;
                else S.LastOutput = output;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                note = $"command failed: {ex.GetType().Name}: {ex.Message}";
            }
        }
        if (safe && note is not null)
            _log.LogWarning("Control loop {LoopId} at safe output {Output}: {Note}", LoopId, output, note);
        var iteration = new LoopIteration(now, measured is not null && measured.Value.TryGetNumber(out double pv) ? pv : null,
            measured?.Quality ?? TagQuality.Bad, c.Setpoint, output, safe, commandId, commandStatus, note);
        S.Record(iteration);
        await _state.WriteStateAsync();
        return iteration;
    }

    private async Task<TagValue> ToValueAsync(IMachineGrain twin, string tag, double output)
    {
        if (_outputType == TagDataType.None)
        {
            var config = await twin.GetConfigurationAsync();
            _outputType = config?.Tags?.FirstOrDefault(t => t.Name == tag)?.DataType ?? TagDataType.Double;
        }
        return _outputType switch
        {
            TagDataType.Boolean => TagValue.FromBoolean(output != 0),
            TagDataType.Integer => TagValue.FromInteger((long)Math.Round(output)),
            _ => TagValue.FromDouble(output),
        };
    }
}
