using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Twins;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Grains.ControlLoops;

/// <summary>A closed loop on grain timers. An enabled loop resumes after a silo restart in two ways: the twins
/// that list it wake it when they activate (<see cref="IControlLoopGrain.WakeAsync"/>; a twin activates as soon
/// as its gateway delivers telemetry), and a durable keep-alive reminder reactivates it within
/// <see cref="KeepAlivePeriodOf"/> (at most a minute, a few seconds for fast loops). The activation restarts the
/// timer, and runs an iteration at once when a sample is overdue.</summary>
public sealed class ControlLoopGrain : Grain, IControlLoopGrain, IRemindable
{
    private const string KeepAlive = "keep-alive";
    private static readonly TimeSpan MinKeepAlivePeriod = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxKeepAlivePeriod = TimeSpan.FromMinutes(1);

    /// <summary>The period of the keep-alive reminder of a loop sampling every <paramref name="samplePeriod"/>:
    /// ten samples, within 5 s .. 1 min. It bounds how long an enabled loop stays stopped after a restart
    /// when no twin wakes it; a firing is one turn without a storage write, at most a tenth of the timer's turns.</summary>
    public static TimeSpan KeepAlivePeriodOf(TimeSpan samplePeriod)
    {
        var tenSamples = samplePeriod > MaxKeepAlivePeriod ? MaxKeepAlivePeriod : samplePeriod * 10;
        return tenSamples < MinKeepAlivePeriod ? MinKeepAlivePeriod : tenSamples > MaxKeepAlivePeriod ? MaxKeepAlivePeriod : tenSamples;
    }

    private readonly IPersistentState<LoopState> _state;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private IGrainTimer? _timer;
    private TagDataType _outputType;

    /// <summary>Creates the grain (the runtime does).</summary>
    public ControlLoopGrain([PersistentState("loop")] IPersistentState<LoopState> state, TimeProvider? time, ILogger<ControlLoopGrain>? logger,
        [Microsoft.Extensions.DependencyInjection.FromKeyedServices(Time.GrainClock.Key)] TimeProvider? grainClock = null)
    {
        _state = state;
        _time = grainClock ?? time ?? TimeProvider.System;
        _log = (ILogger?)logger ?? NullLogger.Instance;
    }

    private LoopState S => _state.State;
    private string LoopId => this.GetPrimaryKeyString();

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!S.Enabled || S.Configuration is null) return;
        StartTimer(DueNow());
        // Registered again on every activation: restores a lost reminder, and gives a loop enabled under an
        // older period (a fixed minute) the period of its sample rate. One reminder-table write per activation.
        var keepAlive = KeepAlivePeriodOf(S.Configuration.SamplePeriod);
        await this.RegisterOrUpdateReminder(KeepAlive, keepAlive, keepAlive);
    }

    /// <summary>How long until the next sample is due: zero when overdue (the loop stood still, e.g. while no silo ran).</summary>
    private TimeSpan DueNow()
    {
        var period = S.Configuration!.SamplePeriod;
        if (S.LastRunTicks == 0) return TimeSpan.Zero;
        var due = TimeSpan.FromTicks(S.LastRunTicks + period.Ticks - _time.GetUtcNow().UtcTicks);
        return due <= TimeSpan.Zero ? TimeSpan.Zero : due > period ? period : due;
    }

    /// <inheritdoc />
    public async Task ConfigureAsync(ControlLoopConfiguration configuration)
    {
        LoopState.Validate(configuration);
        S.Configuration = configuration;
        S.Deleted = false;
        S.OnOff = new OnOffLaw();
        S.Pid = new PidLaw();
        if (configuration.Pid is not null && S.LastOutput is { } last) S.Pid.Reset(Math.Clamp(last, configuration.OutputMinimum, configuration.OutputMaximum), configuration.Pid);
        S.LastRunTicks = 0;
        _outputType = TagDataType.None;
        await _state.WriteStateAsync();
        if (S.Enabled)
        {
            await this.RegisterOrUpdateReminder(KeepAlive, KeepAlivePeriodOf(configuration.SamplePeriod), KeepAlivePeriodOf(configuration.SamplePeriod));
            StartTimer();
        }
        _log.LogInformation("Control loop {LoopId} configured: {Law} on {MeasuredTwinId}/{MeasuredTag} -> {OutputTwinId}/{OutputTag}, setpoint {Setpoint}",
            LoopId, configuration.Law, configuration.MeasuredTwinId, configuration.MeasuredTag, configuration.OutputTwinId, configuration.OutputTag, configuration.Setpoint);
    }

    /// <inheritdoc />
    public async Task EnableAsync()
    {
        if (S.Configuration is null) throw new InvalidOperationException($"Control loop '{LoopId}' is not configured.");
        S.Enabled = true;
        await _state.WriteStateAsync();
        var keepAlive = KeepAlivePeriodOf(S.Configuration.SamplePeriod);
        await this.RegisterOrUpdateReminder(KeepAlive, keepAlive, keepAlive);
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
        if (await this.GetReminder(KeepAlive) is { } reminder) await this.UnregisterReminder(reminder);
        _log.LogInformation("Control loop {LoopId} disabled", LoopId);
    }

    /// <inheritdoc />
    public async Task<ControlLoopConfiguration?> DeleteAsync()
    {
        var had = S.Configuration;
        if (had is null) return null;
        _timer?.Dispose();
        _timer = null;
        if (await this.GetReminder(KeepAlive) is { } reminder) await this.UnregisterReminder(reminder);
        _state.State = new LoopState { Deleted = true };
        await _state.WriteStateAsync();
        _log.LogInformation("Control loop {LoopId} deleted", LoopId);
        return had;
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
    public async Task SeedAsync(double lastOutput)
    {
        if (S.Configuration is not { } c) throw new InvalidOperationException($"Control loop '{LoopId}' is not configured.");
        // A running loop's memory is its own: a seed is a sandbox loop's starting point, set before its first step.
        if (S.Enabled || S.IterationCount > 0)
            throw new InvalidOperationException($"Control loop '{LoopId}' is enabled or already ran: a loop is seeded only before its first iteration, disabled.");
        if (!double.IsFinite(lastOutput)) throw new ArgumentOutOfRangeException(nameof(lastOutput), lastOutput, "The last output must be finite.");
        double output = Math.Clamp(lastOutput, c.OutputMinimum, c.OutputMaximum);
        S.LastOutput = output;
        if (c.Pid is not null) S.Pid.Reset(output, c.Pid);
        if (c.OnOff is not null) S.OnOff.On = Math.Abs(output - c.OnOff.OnOutput) < Math.Abs(output - c.OnOff.OffOutput);
        await _state.WriteStateAsync();
    }

    /// <inheritdoc />
    public Task<LoopIteration> RunOnceAsync() => IterateAsync();

    /// <inheritdoc />
    public async Task OnMeasurementAsync(string twinId, IReadOnlyList<TagSnapshot> changed)
    {
        if (!S.Enabled || S.Configuration is not { } c) return;
        TagSnapshot? measured = null;
        if (twinId == c.MeasuredTwinId && changed is not null)
            foreach (var tag in changed)
                if (tag.Name == c.MeasuredTag) { measured = tag; break; }
        try { await IterateAsync(measured); }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _log.LogWarning(ex, "Control loop {LoopId}: event-driven iteration failed", LoopId);
        }
    }

    /// <inheritdoc />
    public Task WakeAsync()
    {
        // The activation started the timer; start it here too in case it was lost.
        if (S.Enabled && S.Configuration is not null && _timer is null) StartTimer(DueNow());
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<ControlLoopStatus> GetStatusAsync()
    {
        // A lookup of an unknown loop leaves no activation behind.
        if (S.Configuration is null && !S.Enabled) DeactivateOnIdle();
        return Task.FromResult(new ControlLoopStatus(LoopId, S.Configuration, S.Enabled, S.LastOutput, S.IterationCount, [.. S.History], S.Deleted));
    }

    /// <inheritdoc />
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != KeepAlive) return;
        if (!S.Enabled)
        {
            if (await this.GetReminder(KeepAlive) is { } reminder) await this.UnregisterReminder(reminder);
            return;
        }
        // The activation (re)started the timer; start it here too in case it was lost.
        if (_timer is null && S.Configuration is not null) StartTimer(DueNow());
    }

    private void StartTimer(TimeSpan? dueTime = null)
    {
        var period = S.Configuration!.SamplePeriod;
        _timer?.Dispose();
        // KeepAlive: an enabled loop samples whether or not anyone calls it; an idle-collected loop would stand
        // still until its keep-alive reminder reactivated it.
        _timer = this.RegisterGrainTimer(async _ =>
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
        }, new GrainTimerCreationOptions(dueTime ?? period, period) { KeepAlive = true });
    }

    /// <summary>One iteration: reads the measured tag unless <paramref name="known"/> is it as its twin just
    /// reported it, decides, commands the output when it changed, and stores the iteration.</summary>
    private async Task<LoopIteration> IterateAsync(TagSnapshot? known = null)
    {
        var c = S.Configuration ?? throw new InvalidOperationException($"Control loop '{LoopId}' is not configured.");
        TagSnapshot? measured = known;
        string? readFailure = null;
        if (measured is null)
        {
            try { measured = await GrainFactory.GetGrain<IMachineGrain>(c.MeasuredTwinId).GetTagAsync(c.MeasuredTag); }
            catch (Exception ex) when (ex is not OutOfMemoryException) { readFailure = $"read failed: {ex.GetType().Name}"; }
        }
        var now = _time.GetUtcNow();
        bool wasSafe = S.InSafeState;
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
        // Once per transition, not every sample: a loop facing a stale input for hours logs two lines, not thousands
        // (every iteration keeps its note in the history, and a refused command is logged by the twin).
        if (safe && !wasSafe)
            _log.LogWarning("Control loop {LoopId} went to its safe output {Output}: {Note}", LoopId, output, note);
        else if (!safe && wasSafe)
            _log.LogInformation("Control loop {LoopId} left its safe output: measured value usable again (output {Output})", LoopId, output);
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
