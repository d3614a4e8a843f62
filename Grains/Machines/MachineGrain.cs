using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Commands;
using Imv.Grains.Interfaces.Avatars;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Organizations;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Recording;
using Imv.Grains.Interfaces.TwinIndex;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Interfaces.Watching;
using Imv.Grains.Diagnostics;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Providers;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Grains.Machines;

/// <summary>The equipment twin: a thin grain over <see cref="TagTable"/>, <see cref="ShadowState"/>,
/// <see cref="StatusTracker"/> and the command path (<see cref="CommandChecks"/>, <see cref="CommandLifecycle"/>,
/// <see cref="OperatorLeaseBook"/>). Every call that changes something writes the state before it returns.</summary>
public sealed class MachineGrain : Grain, IMachineGrain
{
    private static readonly TimeSpan DefaultLifetime = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DefaultReadBackTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan StatusPushInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ExpiryCheckPeriod = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan DeliveryWait = TimeSpan.FromSeconds(2);
    private const int MaxSharedConfigurations = 10_000;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<TwinConfiguration, TwinConfiguration> SharedConfigurations = new();

    private readonly IPersistentState<MachineState> _state;
    private readonly IPersistentState<MachineSchemaState> _schemaState;
    private readonly MachineGrainServices _services;
    private IGrainTimer? _expiryTimer;
    private TwinChangeFeed? _feed;   // created by the first watch: an unwatched twin holds none

    /// <summary>Creates the grain (the runtime does).</summary>
    public MachineGrain(
        [PersistentState("machine")] IPersistentState<MachineState> state,
        [PersistentState("machine-schema")] IPersistentState<MachineSchemaState> schemaState,
        IPlantGatewayRegistry? gateways = null,
        IMachineStatusPublisher? publisher = null,
        TimeProvider? time = null,
        ILogger<MachineGrain>? logger = null,
        ITwinRecorder? recorder = null,
        [FromKeyedServices(Time.GrainClock.Key)] TimeProvider? grainClock = null)
    {
        _state = state;
        _schemaState = schemaState;
        _services = MachineGrainServices.For(gateways, publisher, recorder, grainClock ?? time ?? TimeProvider.System, (ILogger?)logger ?? NullLogger.Instance);
    }

    private MachineState S => _state.State;
    private MachineSchemaState L => _schemaState.State;
    private MachineSchemaState Schema => _schemaState.State;
    private bool _logDirty;
    private string TwinId => this.GetPrimaryKeyString();
    private TwinConfiguration Config => Schema.Configuration ?? new TwinConfiguration();
    private DateTimeOffset Now => _services.Time.GetUtcNow();

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!Schema.LogMerged) await MergeLegacyLogAsync(cancellationToken);
        if (Schema.Configuration is { } stored) Schema.Configuration = Share(stored);
        S.Tags.SetBands(Schema.Configuration?.EffectiveAlarmBands);
        S.Tags.Metadata = Schema.Tags;
        Schema.Tags = S.Tags.Schema.Metadata;   // keep the shared (interned) array, not this twin's copy
        // Values restored from storage are not known to be current until the gateway delivers in this activation:
        // Good tags read Uncertain and the state is not Running from old values (kept in memory until the next write).
        if (S.Connectivity == TwinConnectivity.Online)
        {
            S.Connectivity = TwinConnectivity.Reconnecting;
            S.Tags.SetConnectivity(TwinConnectivity.Reconnecting);
        }
        bool expired = ExpireDue(Now);
        // A twin stored before the twin status index existed (or whose registration failed) registers when it wakes.
        if (Schema.IndexKey is { } indexKey) Schema.IndexKey = TwinStatusIndex.Shared(indexKey);   // not one string per twin
        bool indexed = Schema.Configuration is not null && Schema.IndexKey != TwinStatusIndex.ShardKey(Config.OrganizationId, TwinId)
            && await IndexAsync(Now);
        if (expired || indexed) await SaveAsync(false, cancellationToken, schema: indexed);
        EnsureExpiryTimer();
        WakeLoops();
    }

    /// <summary>Moves the commands, lease and alarm events an earlier layout kept in a state of their own
    /// ("machine-log") into the schema state, then clears the old record. A twin that never had one is only marked
    /// (stored with its next write).</summary>
    private async Task MergeLegacyLogAsync(CancellationToken cancellationToken)
    {
        var storage = ServiceProvider.GetKeyedService<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME);
        if (storage is null) { Schema.LogMerged = true; return; }
        var legacy = new GrainState<MachineLogState>(new MachineLogState());
        await storage.ReadStateAsync(LegacyLogStateName, this.GetGrainId(), legacy);
        if (!legacy.RecordExists) { Schema.LogMerged = true; return; }
        Schema.Merge(legacy.State ?? new MachineLogState());
        await _schemaState.WriteStateAsync(cancellationToken);
        await storage.ClearStateAsync(LegacyLogStateName, this.GetGrainId(), legacy);
        _services.Logger.LogInformation("Twin {TwinId}: commands, lease and alarm events moved from state '{Legacy}' into 'machine-schema'",
            TwinId, LegacyLogStateName);
    }

    private const string LegacyLogStateName = "machine-log";

    /// <summary>Wakes the control loops this twin lists (they resume at once after a silo restart instead of
    /// waiting for their keep-alive reminder); one-way calls, an enabled loop restarts its timer on activation.</summary>
    private void WakeLoops()
    {
        var config = Schema.Configuration;
        if (config is null) return;
        if (config.ControlLoops is { Count: > 0 } commanding)
            foreach (var loopId in commanding) Wake(loopId);
        if (config.TriggeredLoops is { Count: > 0 } triggered)
            foreach (var loopId in triggered)
                if (config.ControlLoops is null || !config.ControlLoops.Contains(loopId)) Wake(loopId);
    }

    private void Wake(string loopId)
    {
        try { _ = GrainFactory.GetGrain<IControlLoopGrain>(loopId).WakeAsync(); }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _services.Logger.LogDebug(ex, "Twin {TwinId} could not wake control loop {LoopId}", TwinId, loopId);
        }
    }

    /// <inheritdoc />
    public async Task ConfigureAsync(TwinConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration.AlarmBands is not null) foreach (var b in configuration.AlarmBands) AlarmEvaluator.Validate(b);
        var bands = configuration.AlarmBands ?? Schema.Configuration?.DescribedAlarmBands;
        S.Tags.Describe(configuration.Tags, bands);
        S.Tags.SetBands(bands);
        Schema.Configuration = Share(configuration with
        {
            Tags = null,
            Gateway = configuration.Gateway ?? Schema.Configuration?.Gateway,
            DescribedMethods = Schema.Configuration?.DescribedMethods,   // only a gateway's description sets them
            DescribedStatus = Schema.Configuration?.DescribedStatus,
            DescribedAlarmBands = Schema.Configuration?.DescribedAlarmBands,
        });
        await IndexAsync(Now);
        await SaveAsync(true, schema: true);
        _services.Logger.LogInformation("Twin {TwinId} configured: {Kind}, {Coupling}, gateway {Gateway}, organization {OrganizationId}",
            TwinId, configuration.Kind, configuration.Coupling, Schema.Configuration.Gateway, configuration.OrganizationId);
    }

    /// <inheritdoc />
    public Task<TwinConfiguration?> GetConfigurationAsync()
    {
        if (Schema.Configuration is null && S.Tags.Count == 0)
        {
            // A lookup of an unknown twin (GET /api/twins/<any id>) leaves no activation behind.
            DeactivateOnIdle();
            return Task.FromResult<TwinConfiguration?>(null);
        }
        return Task.FromResult<TwinConfiguration?>(Config with { Tags = [.. S.Tags.Schema.Metadata] });
    }

    /// <inheritdoc />
    public async Task DescribeAsync(TwinDescription description)
    {
        ArgumentNullException.ThrowIfNull(description);
        if (description.AlarmBands is not null) foreach (var b in description.AlarmBands) AlarmEvaluator.Validate(b);
        var statusBefore = Config.EffectiveStatus;
        var bandsBefore = Config.EffectiveAlarmBands;
        Schema.Configuration = Share(Config with
        {
            Gateway = description.Gateway,
            DescribedMethods = WithMethods(Config.DescribedMethods, description.Gateway, description.Methods),
            DescribedStatus = description.Status,
            DescribedAlarmBands = SameBands(Config.DescribedAlarmBands, description.AlarmBands) ? Config.DescribedAlarmBands : description.AlarmBands,
            OrganizationId = description.OrganizationId ?? Config.OrganizationId,
        });
        var bands = Config.EffectiveAlarmBands;
        S.Tags.Describe(description.Tags, bands);
        if (!SameBands(bandsBefore, bands)) S.Tags.SetBands(bands);
        // Another status mapping: the OEE window's accumulators counted other tags (or none); start a new window.
        if (!Equals(statusBefore, Config.EffectiveStatus)) S.Status.ResetWindow(S.Tags, Config.EffectiveStatus, Now);
        await IndexAsync(Now);
        await SaveAsync(true, schema: true);
        _services.Logger.LogInformation("Twin {TwinId} described by gateway {Gateway} with {TagCount} tags and {MethodCount} methods",
            TwinId, description.Gateway, description.Tags.Count, description.Methods?.Count ?? 0);
    }

    private static bool SameBands(IReadOnlyList<AlarmBand>? a, IReadOnlyList<AlarmBand>? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null && a.SequenceEqual(b));

    /// <summary>The described methods with <paramref name="gateway"/>'s replaced by <paramref name="methods"/>
    /// (removed when it describes none); the same list when nothing changed, so alike twins keep sharing it.</summary>
    private static IReadOnlyList<GatewayMethods>? WithMethods(IReadOnlyList<GatewayMethods>? current, string gateway, IReadOnlyList<MethodMetadata>? methods)
    {
        int at = -1;
        if (current is not null)
            for (int i = 0; i < current.Count; i++)
                if (string.Equals(current[i].Gateway, gateway, StringComparison.Ordinal)) { at = i; break; }
        bool none = methods is null || methods.Count == 0;
        if (at >= 0 && !none && current![at].Methods.SequenceEqual(methods!)) return current;
        if (at < 0 && none) return current;
        var list = current is null ? new List<GatewayMethods>() : new List<GatewayMethods>(current);
        if (at >= 0) list.RemoveAt(at);
        if (!none) list.Insert(at >= 0 ? at : list.Count, new GatewayMethods(gateway, [.. methods!]));
        return list.Count == 0 ? null : list.ToArray();
    }

    /// <inheritdoc />
    public async ValueTask<IngestResult> IngestAsync(TagBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Updates is null || batch.Updates.Length == 0) return default;
        // No listener (the default), no span: StartActivity returns null and costs a branch.
        using var span = GrainsActivitySource.Source.StartActivity(GrainsActivitySource.IngestSpan);
        span?.SetTag("imv.twin", TwinId).SetTag("imv.readings", batch.Updates.Length);
        var schemaBefore = S.Tags.Schema;
        var result = await ApplyReadingsAsync(batch.Updates, Now);
        await SaveAsync(true, schema: !ReferenceEquals(schemaBefore, S.Tags.Schema));
        if (result.Applied > 0) TriggerLoops(batch.Updates);
        return result;
    }

    /// <inheritdoc />
    public async ValueTask<IngestResult> IngestTimedAsync(TimedBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Entries is null || batch.Entries.Length == 0) return default;
        using var span = GrainsActivitySource.Source.StartActivity(GrainsActivitySource.IngestSpan);
        span?.SetTag("imv.twin", TwinId).SetTag("imv.entries", batch.Entries.Length);
        var schemaBefore = S.Tags.Schema;
        int applied = 0, stale = 0, duplicate = 0, rejected = 0;
        foreach (var entry in batch.Entries)
        {
            if (entry.Updates is null || entry.Updates.Length == 0) continue;
            var r = await ApplyReadingsAsync(entry.Updates, entry.At);
            applied += r.Applied;
            stale += r.Stale;
            duplicate += r.Duplicate;
            rejected += r.Rejected;
        }
        await SaveAsync(true, schema: !ReferenceEquals(schemaBefore, S.Tags.Schema));
        // The entries' readings are gathered only for a twin that triggers loops (a replay feeds every twin this way).
        if (applied > 0 && Config.TriggeredLoops is { Count: > 0 })
            TriggerLoops(batch.Entries.Length == 1 ? batch.Entries[0].Updates : [.. batch.Entries.SelectMany(e => e.Updates ?? [])]);
        return new IngestResult(applied, stale, duplicate, rejected);
    }

    /// <inheritdoc />
    public async Task<int> SeedAsync(TwinSeed seed)
    {
        ArgumentNullException.ThrowIfNull(seed);
        // A live twin's state comes from its machine only: a seed is a sandbox twin's starting point, set before its feed.
        if (Config.Coupling != CouplingMode.NoLinks)
            throw new InvalidOperationException($"Twin '{TwinId}' is coupled to a machine ({Config.Coupling}): only a twin without links (a replay's sandbox twin) can be seeded.");
        if (S.Tags.AppliedCount > 0 || S.Tags.LastReceivedTicks != 0)
            throw new InvalidOperationException($"Twin '{TwinId}' already holds readings: a twin is seeded only before its first reading.");
        if (seed.Tags is null || seed.Tags.Length == 0) return 0;
        var schemaBefore = S.Tags.Schema;
        int seeded = S.Tags.Seed(seed.Tags);
        if (seeded == 0) return 0;
        S.Shadow.Version++;
        S.Connectivity = TwinConnectivity.Online;
        // The status window starts at the seed's instant, running since then when the running tag says so.
        await ObserveStatusAsync(seed.At);
        await SaveAsync(true, schema: !ReferenceEquals(schemaBefore, S.Tags.Schema));
        _services.Logger.LogDebug("Twin {TwinId} seeded with {Tags} tags as of {At:O}", TwinId, seeded, seed.At);
        return seeded;
    }

    /// <summary>Applies one batch of readings at <paramref name="now"/>: values, alarms, read-backs and status (not stored).</summary>
    private async ValueTask<IngestResult> ApplyReadingsAsync(TagUpdate[] updates, DateTimeOffset now)
    {
        List<AlarmEvent>? events = null;
        var result = Apply(updates, now, ref events);
        if (result.Rejected > 0) LogRejections(result.Rejected, now);
        if (result.Applied > 0)
        {
            S.Shadow.Version++;
            if (S.Connectivity != TwinConnectivity.Online) S.Connectivity = TwinConnectivity.Online;
            _feed?.TagsChanged(updates);
            if (events is not null) RecordAlarms(events);
            ConfirmReadBacks(now);
            await ObserveStatusAsync(now);
        }
        return result;
    }

    /// <summary>Tells the loops triggered by this twin's readings that a measurement arrived (one-way), with the
    /// tags the readings touched as they now are: a loop measuring one of them decides at once instead of calling
    /// back for it (one grain call and one turn of this twin less between a reading and the loop's command).</summary>
    private void TriggerLoops(TagUpdate[] updates)
    {
        if (Config.TriggeredLoops is not { Count: > 0 } loops) return;
        var changed = ChangedTags(updates);
        foreach (var loopId in loops) _ = GrainFactory.GetGrain<IControlLoopGrain>(loopId).OnMeasurementAsync(TwinId, changed);
    }

    /// <summary>The tags named by <paramref name="updates"/>, once each, as read now; empty beyond
    /// <see cref="MaxTriggerTags"/> tags (the loops then read their tag themselves).</summary>
    private TagSnapshot[] ChangedTags(TagUpdate[] updates)
    {
        if (updates.Length == 0 || updates.Length > MaxTriggerTags) return [];
        var changed = new List<TagSnapshot>(updates.Length);
        var now = Now;
        foreach (var update in updates)
        {
            int i = S.Tags.IndexOf(update.Tag);
            if (i < 0 || changed.Exists(t => t.Name == update.Tag)) continue;
            changed.Add(S.Tags.Snapshot(i, now, Config.EffectiveStaleAfter));
        }
        return [.. changed];
    }

    /// <summary>The most tags a trigger carries: a device reporting a whole table at once triggers without them.</summary>
    private const int MaxTriggerTags = 32;

    /// <summary>Applies readings and hands the accepted ones to the recorder (when one is registered); the
    /// recorder copies them into its queue and returns, its disk writes happen on its own thread.</summary>
    private IngestResult Apply(TagUpdate[] updates, DateTimeOffset now, ref List<AlarmEvent>? events)
    {
        if (_services.Recorder is null) return S.Tags.Ingest(updates, now, TwinId, ref events);
        var accepted = System.Buffers.ArrayPool<bool>.Shared.Rent(updates.Length);
        try
        {
            // Orleans makes the key's string anew at each call: once for both.
            var twinId = TwinId;
            var result = S.Tags.Ingest(updates, now, twinId, ref events, accepted);
            if (result.Applied > 0)
                _services.Recorder.RecordReadings(twinId, now, updates, result.Applied == updates.Length ? default : accepted.AsSpan(0, updates.Length));
            return result;
        }
        finally { System.Buffers.ArrayPool<bool>.Shared.Return(accepted); }
    }

    private static readonly TimeSpan RejectionLogInterval = TimeSpan.FromSeconds(30);
    private long _rejectionLoggedTicks;
    private long _rejectionsUnlogged;

    /// <summary>Logs refused readings with a rate limit (one line per twin per 30 s, with the number refused
    /// since the last line), naming the twin, each tag refused in this batch, the tag's type and the reading's:
    /// a flood of misfits cannot fill the disk, and none is silent.</summary>
    private void LogRejections(int rejected, DateTimeOffset now)
    {
        _rejectionsUnlogged += rejected;
        if (_rejectionLoggedTicks != 0 && now.UtcTicks - _rejectionLoggedTicks < RejectionLogInterval.Ticks) return;
        var tags = new List<string>();
        if (S.Tags.Rejections is { } rejections)
            for (int i = 0; i < rejections.Length && i < S.Tags.Count && tags.Count < 5; i++)
                if (rejections[i] is { } r && r.At == now)
                    tags.Add($"'{S.Tags.Schema.Metadata[i].Name}' expected {r.Expected}, received {r.Received}");
        _services.Logger.LogWarning("Twin {TwinId} refused {Rejected} readings since {Since}: {Tags}",
            TwinId, _rejectionsUnlogged, _rejectionLoggedTicks == 0 ? "activation" : new DateTimeOffset(_rejectionLoggedTicks, TimeSpan.Zero).ToString("O"),
            tags.Count > 0 ? string.Join("; ", tags) : "readings of unknown tags or without a tag name");
        _rejectionLoggedTicks = now.UtcTicks;
        _rejectionsUnlogged = 0;
    }

    /// <inheritdoc />
    public async Task SetConnectivityAsync(TwinConnectivity connectivity, string reason)
    {
        var now = Now;
        S.Connectivity = connectivity;
        S.Tags.SetConnectivity(connectivity);
        _feed?.AllTagsChanged();
        await ObserveStatusAsync(now);
        await SaveAsync(true);
        _services.Logger.LogInformation("Twin {TwinId} connectivity {Connectivity}: {Reason}", TwinId, connectivity, reason);
    }

    /// <inheritdoc />
    public Task<TwinSnapshot> GetSnapshotAsync() => Task.FromResult(BuildSnapshot());

    private TwinSnapshot BuildSnapshot()
    {
        var now = Now;
        var t = S.Tags;
        var tags = new TagSnapshot[t.Count];
        var bound = Config.EffectiveStaleAfter;
        for (int i = 0; i < tags.Length; i++) tags[i] = t.Snapshot(i, now, bound);
        DateTimeOffset? last = t.LastReceivedTicks == 0 ? null : new DateTimeOffset(t.LastReceivedTicks, TimeSpan.Zero);
        return new TwinSnapshot(TwinId, Config.Kind, Config.Coupling, ConnectivityAt(now), tags, last,
            last is { } l ? now - l : null, t.AppliedCount, t.StaleCount, t.DuplicateCount, t.RejectedCount, BuildStatus(now));
    }

    /// <inheritdoc />
    public Task<TagSnapshot?> GetTagAsync(string tag)
    {
        int i = S.Tags.IndexOf(tag);
        return Task.FromResult(i < 0 ? null : S.Tags.Snapshot(i, Now, Config.EffectiveStaleAfter));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ActiveAlarm>> GetActiveAlarmsAsync() => Task.FromResult<IReadOnlyList<ActiveAlarm>>(S.Tags.ActiveAlarms());

    /// <inheritdoc />
    public Task<IReadOnlyList<AlarmEvent>> GetAlarmHistoryAsync() => Task.FromResult<IReadOnlyList<AlarmEvent>>([.. L.AlarmHistory]);

    /// <inheritdoc />
    public Task<ShadowDocument> GetShadowAsync() => Task.FromResult(S.Shadow.Build(S.Tags));

    /// <inheritdoc />
    public async Task<ShadowUpdateResult> SetDesiredAsync(DesiredUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        long before = S.Shadow.Version;
        bool applied = S.Shadow.Apply(update);
        if (S.Shadow.Version != before)
        {
            _feed?.Touched();
            await SaveAsync(true);
        }
        return new ShadowUpdateResult(!applied, S.Shadow.Build(S.Tags));
    }

    /// <inheritdoc />
    public Task<MachineStatus> GetStatusAsync() => Task.FromResult(BuildStatus(Now));

    /// <inheritdoc />
    public async Task ResetOeeWindowAsync()
    {
        S.Status.ResetWindow(S.Tags, Config.EffectiveStatus, Now);
        await SaveAsync(true);
    }

    /// <inheritdoc />
    public async Task<CommandRecord> SubmitCommandAsync(CommandRequest command)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentException.ThrowIfNullOrEmpty(command.CommandId);
        var now = Now;
        bool expired = ExpireDue(now);
        if (L.Commands.Find(command.CommandId) is { } known)
        {
            if (expired) await SaveAsync(false);
            return known;
        }

        var config = Config;
        AvatarProfile? avatar = null;
        IReadOnlyList<string>? organizationPath = null;
        string? issuerFailure = null;
        if (command.IssuerKind == IssuerKind.Avatar && !string.IsNullOrEmpty(command.Issuer))
        {
            try { avatar = await GrainFactory.GetGrain<IAvatarGrain>(command.Issuer).GetProfileAsync(); }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                issuerFailure = $"issuer: avatar '{command.Issuer}' could not be verified ({ex.GetType().Name})";
            }
            IReadOnlyList<string>? path = null;
            if (issuerFailure is null && CommandChecks.NeedsOrganizationPath(command, TwinId, config, avatar))
                (path, issuerFailure) = await OrganizationPathAsync(config);
            organizationPath = path;
            now = Now;
            if (L.Commands.Find(command.CommandId) is { } raced) return raced;
        }

        int tagIndex = command.Tag is null ? -1 : S.Tags.IndexOf(command.Tag);
        var metadata = tagIndex < 0 ? null : S.Tags.Schema.Metadata[tagIndex];
        var lifetime = command.Lifetime ?? config.DefaultCommandLifetime ?? DefaultLifetime;
        var envelope = new CommandEnvelope(command.CommandId, command.IssuerKind, command.Issuer ?? "", TwinId, command.Tag, command.Method,
            CommandChecks.Normalize(command.Value, metadata), CommandChecks.NormalizeArguments(command.Arguments, CommandChecks.FindMethod(config, command.Method)), now, now + (lifetime > TimeSpan.Zero ? lifetime : TimeSpan.Zero));
        string? rejection = issuerFailure
            ?? (lifetime <= TimeSpan.Zero ? "interlock: the lifetime must be positive" : null)
            ?? CommandChecks.Evaluate(command, TwinId, config, avatar, L.Lease, metadata, now, organizationPath);
        DateTimeOffset? readBack = config.RequireReadBack && command.Tag is not null && config.Coupling != CouplingMode.NoLinks
            ? Min(now + (config.ReadBackTimeout ?? DefaultReadBackTimeout), envelope.ExpiresAt)
            : null;
        var record = CommandLifecycle.Start(rejection is null ? envelope : RefusedPayload.Trim(envelope), rejection, readBack);
        L.Commands.Add(record);
        _services.Recorder?.RecordCommand(TwinId, record);
        _logDirty = true;
        LogTransition(record);
        await SaveAsync(false);
        if (record.IsTerminal) return record;

        if (config.Coupling == CouplingMode.NoLinks)
        {
            if (command.Tag is not null) ApplyLocally(command.Tag, envelope.Payload, now);
            record = Move(record, CommandDeliveryStatus.Applied, now, "simulated: the twin has no link to a machine") ?? record;
            await SaveAsync(command.Tag is not null);
            return record;
        }

        var gateway = config.Gateway is { } name ? _services.Gateways?.Find(name) : null;
        if (gateway is null)
        {
            record = Move(record, CommandDeliveryStatus.Rejected, now, config.Gateway is null
                ? "gateway: the twin has no gateway (not described by any)"
                : $"gateway: no gateway '{config.Gateway}' on this silo") ?? record;
            await SaveAsync(false);
            return record;
        }

        var device = new DeviceCommand(envelope.CommandId, TwinId, envelope.Tag, envelope.Method, envelope.Payload, envelope.Arguments, envelope.ExpiresAt);
        var send = SendAsync(gateway, device, envelope.ExpiresAt - now);
        if (!send.IsCompleted)
        {
            using var waitCancel = new CancellationTokenSource();
            var wait = Task.Delay(DeliveryWait, _services.Time, waitCancel.Token);
            if (await Task.WhenAny(send, wait) != send)
            {
                // A slow gateway must not hold the twin (telemetry waits behind this turn): the answer
                // arrives later as a call of its own, and the caller sees the command Issued.
                var self = this.AsReference<IMachineGrain>();
                string commandId = envelope.CommandId;
                _ = send.ContinueWith(async t =>
                {
                    try { await self.ReportCommandOutcomeAsync(commandId, t.Result.Status, t.Result.Reason); }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        _services.Logger.LogWarning(ex, "Twin {TwinId} lost the late gateway answer for command {CommandId}; it will expire", envelope.Target, commandId);
                    }
                }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                EnsureExpiryTimer();
                return record;
            }
            await waitCancel.CancelAsync();
        }
        var delivery = await send;
        now = Now;
        record = L.Commands.Find(envelope.CommandId) ?? record;
        var (status, reason) = Outcome(record, delivery.Status, delivery.Reason);
        record = Move(record, status, now, reason, delivery.Outputs) ?? record;
        await SaveAsync(false);
        EnsureExpiryTimer();
        return record;
    }

    private async Task<CommandDelivery> SendAsync(IPlantGateway gateway, DeviceCommand device, TimeSpan lifetime)
    {
        using var cts = new CancellationTokenSource(Max(lifetime, TimeSpan.FromMilliseconds(1)), _services.Time);
        try { return await gateway.SendAsync(device, cts.Token); }
        catch (OperationCanceledException) { return new CommandDelivery(CommandDeliveryStatus.Expired, "the gateway did not answer before expiry"); }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return CommandDelivery.Rejected($"gateway: {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Where an answer of the gateway or the device takes a record: refusals carry "plant:" (or the
    /// gateway's own "gateway:" failure); confirmations of Applied wait for a required read-back.</summary>
    private static (CommandDeliveryStatus Status, string? Reason) Outcome(CommandRecord record, CommandDeliveryStatus status, string? reason) =>
        status == CommandDeliveryStatus.Rejected
            ? (CommandDeliveryStatus.Rejected, reason is not null && reason.StartsWith("gateway:", StringComparison.Ordinal) ? reason : "plant: " + (reason ?? "refused"))
            : CommandLifecycle.Confirmation(record, status, reason);

    /// <inheritdoc />
    public async Task<CommandRecord?> GetCommandAsync(string commandId)
    {
        if (ExpireDue(Now)) await SaveAsync(false);
        return L.Commands.Find(commandId);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<CommandRecord>> GetCommandsAsync()
    {
        if (ExpireDue(Now)) await SaveAsync(false);
        return [.. L.Commands.Records];
    }

    /// <inheritdoc />
    public async Task ReportCommandOutcomeAsync(string commandId, CommandDeliveryStatus status, string? reason)
    {
        var now = Now;
        bool changed = ExpireDue(now);
        if (L.Commands.Find(commandId) is not { } record)
        {
            _services.Logger.LogWarning("Twin {TwinId} got outcome {Status} of unknown command {CommandId}", TwinId, status, commandId);
        }
        else
        {
            var (next, why) = Outcome(record, status, reason);
            changed |= Move(record, next, now, why) is not null;
        }
        if (changed) await SaveAsync(false);
    }

    /// <inheritdoc />
    public async Task<LeaseResult> AcquireLeaseAsync(string avatarId, TimeSpan duration)
    {
        ArgumentException.ThrowIfNullOrEmpty(avatarId);
        AvatarProfile? avatar;
        try { avatar = await GrainFactory.GetGrain<IAvatarGrain>(avatarId).GetProfileAsync(); }
        catch (Exception ex) when (ex is not OutOfMemoryException) { avatar = null; }
        var probe = new CommandRequest("lease", IssuerKind.Avatar, avatarId, null, null, default);
        var config = Config;
        IReadOnlyList<string>? path = null;
        string? pathFailure = null;
        if (CommandChecks.NeedsOrganizationPath(probe, TwinId, config, avatar)) (path, pathFailure) = await OrganizationPathAsync(config);
        var now = Now;
        if ((pathFailure ?? CommandChecks.Issuer(probe, TwinId, config, avatar, path)) is { } refused)
            return new LeaseResult(false, L.Lease.Current(now), refused.Replace("issuer:", "lease:", StringComparison.Ordinal));
        var result = L.Lease.Acquire(avatarId, duration, now);
        if (result.Granted)
        {
            _logDirty = true;
            await SaveAsync(false);
            _services.Logger.LogInformation("Twin {TwinId} operator lease held by {AvatarId} until {ExpiresAt}", TwinId, avatarId, result.Lease!.ExpiresAt);
        }
        return result;
    }

    /// <summary>The path of the twin's organization (root first), for matching an avatar's scopes against the
    /// organizations containing the twin; one call to the organization, which keeps its path up to date.</summary>
    private async Task<(IReadOnlyList<string>? Path, string? Failure)> OrganizationPathAsync(TwinConfiguration config)
    {
        var org = config.OrganizationId!;
        try { return (await GrainFactory.GetGrain<IVirtualOrganizationGrain>(org).GetPathAsync(), null); }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return (null, $"issuer: the organizations containing twin '{TwinId}' could not be read from '{org}' ({ex.GetType().Name})");
        }
    }

    /// <inheritdoc />
    public async Task<bool> ReleaseLeaseAsync(string avatarId)
    {
        if (!L.Lease.Release(avatarId, Now)) return false;
        _logDirty = true;
        await SaveAsync(false);
        _services.Logger.LogInformation("Twin {TwinId} operator lease released by {AvatarId}", TwinId, avatarId);
        return true;
    }

    /// <inheritdoc />
    public Task<OperatorLease?> GetLeaseAsync() => Task.FromResult(L.Lease.Current(Now));

    private MachineStatus BuildStatus(DateTimeOffset now) => S.Status.Build(TwinId, S.Tags, Config.EffectiveStatus, ConnectivityAt(now), now);

    /// <summary>The connectivity as of now: the stored one, or <see cref="TwinConnectivity.Stale"/> when it says Online but
    /// every tag with a value is older than its staleness bound (computed at read time: no timer per twin).</summary>
    private TwinConnectivity ConnectivityAt(DateTimeOffset now) =>
        S.Connectivity == TwinConnectivity.Online && S.Tags.AllStale(now, Config.EffectiveStaleAfter) ? TwinConnectivity.Stale : S.Connectivity;

    private async Task ObserveStatusAsync(DateTimeOffset now)
    {
        var config = Config;
        S.Status.Observe(S.Tags, config.EffectiveStatus, S.Connectivity, now);
        var (state, alarms) = StatusTracker.Summary(S.Tags, config.EffectiveStatus, S.Connectivity);
        bool organizationDue = S.Status.ShouldPush(state, alarms, now, StatusPushInterval);
        if (!organizationDue && !IndexDue(now)) return;
        var status = BuildStatus(now);
        // The organization's aggregates and the twin status index (listings, filters) hear the same status, at once.
        var indexed = IndexAsync(status.State, status.ActiveAlarms, now);
        if (!organizationDue)
        {
            await indexed;
            return;
        }
        bool reported = true;
        if (config.OrganizationId is { } org)
        {
            try
            {
                if (_services.Publisher is not null) await _services.Publisher.PublishAsync(GrainFactory, org, status);
                else await GrainFactory.GetGrain<IVirtualOrganizationGrain>(org).ReportChildStatusAsync(TwinId, status);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                reported = false;
                _services.Logger.LogWarning(ex, "Twin {TwinId} could not report its status to organization {OrganizationId}", TwinId, org);
            }
        }
        if (await indexed && reported) S.Status.MarkPushed(status, now);
    }

    // What the twin status index holds of this twin in this activation, as UTC ticks (two longs: every idle twin holds
    // them): when that was pushed (0: not yet) and when its values go stale there (the listing then reads Unknown, as
    // the twin does; long.MaxValue: never).
    private long _indexPushedAt;
    private long _indexStaleAt;

    /// <summary>Whether the index must hear from the twin although its state and alarms did not change: not yet in this
    /// activation, or half of the time until its values would go stale there is gone (readings keep it live).</summary>
    private bool IndexDue(DateTimeOffset now) =>
        _indexPushedAt == 0 || (_indexStaleAt != long.MaxValue && now.UtcTicks >= _indexStaleAt - ((_indexStaleAt - _indexPushedAt) / 2));

    /// <summary>Registers the twin in the twin status index with its current place and run state (when it is configured,
    /// described, or wakes unregistered).</summary>
    private Task<bool> IndexAsync(DateTimeOffset now)
    {
        var (state, alarms) = StatusTracker.Summary(S.Tags, Config.EffectiveStatus, ConnectivityAt(now));
        return IndexAsync(state, alarms, now);
    }

    /// <summary>Tells the twin status index shard of the twin's organization where the twin is (kind, organization,
    /// gateway) and what it reports, and leaves the shard of its previous organization. False on failure (logged): the
    /// next status push tries again, and the index keeps what it had.</summary>
    private async Task<bool> IndexAsync(MachineRunState state, int alarms, DateTimeOffset now)
    {
        var config = Config;
        var key = TwinStatusIndex.ShardKey(config.OrganizationId, TwinId);
        var staleAt = S.Connectivity == TwinConnectivity.Online ? S.Tags.AllStaleAt(config.EffectiveStaleAfter) : null;
        try
        {
            await GrainFactory.GetGrain<ITwinStatusIndexGrain>(key)
                .SetAsync(new TwinIndexEntry(TwinId, config.Kind, config.OrganizationId, config.Gateway, state, alarms, now, staleAt));
            _indexPushedAt = Math.Max(1, now.UtcTicks);
            _indexStaleAt = staleAt?.UtcTicks ?? long.MaxValue;
            if (Schema.IndexKey is { } previous && previous != key) await GrainFactory.GetGrain<ITwinStatusIndexGrain>(previous).RemoveAsync(TwinId);
            if (Schema.IndexKey != key)
            {
                Schema.IndexKey = key;
                _indexKeyChanged = true;
            }
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _services.Logger.LogWarning(ex, "Twin {TwinId} could not update its entry in twin index shard {Shard}", TwinId, key);
            return false;
        }
    }

    private bool _indexKeyChanged;

    private void RecordAlarms(List<AlarmEvent> events)
    {
        foreach (var e in events)
        {
            if (e.Raised)
                _services.Logger.LogWarning("Alarm raised on twin {TwinId} tag {Tag}: {Level} at {Value} ({Timestamp:O})", e.TwinId, e.Tag, e.Level, e.Value, e.Timestamp);
            else
                _services.Logger.LogInformation("Alarm cleared on twin {TwinId} tag {Tag}: {Level} at {Value} ({Timestamp:O})", e.TwinId, e.Tag, e.Level, e.Value, e.Timestamp);
        }
        _logDirty = true;
        _feed?.AlarmsChanged(events);
        var history = L.AlarmHistory;
        history.AddRange(events);
        if (history.Count > MachineSchemaState.AlarmHistoryLength) history.RemoveRange(0, history.Count - MachineSchemaState.AlarmHistoryLength);
    }

    private void ConfirmReadBacks(DateTimeOffset now)
    {
        if (!L.HasPendingCommands) return;
        var records = L.Commands.Records;
        for (int i = 0; i < records.Count; i++)
        {
            var r = records[i];
            if (r.IsTerminal || r.ReadBackDeadline is null || r.Status < CommandDeliveryStatus.Delivered || r.Envelope.Tag is not { } tag) continue;
            if (S.Tags.TryGetValue(tag, out var value, out long received) && received >= r.Envelope.IssuedAt.UtcTicks
                && ShadowState.ValuesMatch(value, r.Envelope.Payload))
                Move(r, CommandDeliveryStatus.Applied, now, "read back");
        }
    }

    private void ApplyLocally(string tag, TagValue value, DateTimeOffset now)
    {
        int i = S.Tags.IndexOf(tag);
        long seq = i >= 0 ? S.Tags.Sequences[i] + 1 : 1;
        var ts = i >= 0 && S.Tags.SourceTicks[i] > now.UtcTicks ? new DateTimeOffset(S.Tags.SourceTicks[i], TimeSpan.Zero) : now;
        List<AlarmEvent>? events = null;
        Apply([new TagUpdate(tag, value, TagQuality.Good, ts, seq)], now, ref events);
        S.Shadow.Version++;
        _feed?.TagChanged(tag);
        if (events is not null) RecordAlarms(events);
    }

    private bool ExpireDue(DateTimeOffset now)
    {
        if (!L.HasPendingCommands) return false;
        bool changed = false;
        var records = L.Commands.Records;
        for (int i = 0; i < records.Count; i++)
            if (CommandLifecycle.DueExpiry(records[i], now, LastRead(records[i])) is { } why)
                changed |= Move(records[i], CommandDeliveryStatus.Expired, now, why) is not null;
        return changed;
    }

    /// <summary>The value the commanded tag last read since the command was issued (for an expired read-back's reason).</summary>
    private TagValue? LastRead(CommandRecord record) =>
        record.ReadBackDeadline is not null && record.Envelope.Tag is { } tag && S.Tags.TryGetValue(tag, out var value, out long received)
            && received >= record.Envelope.IssuedAt.UtcTicks ? value : null;

    private void EnsureExpiryTimer()
    {
        if (!L.HasPendingCommands)
        {
            _expiryTimer?.Dispose();
            _expiryTimer = null;
            return;
        }
        _expiryTimer ??= this.RegisterGrainTimer(async ct =>
        {
            if (ExpireDue(Now)) await SaveAsync(false, ct);
            if (!L.HasPendingCommands) { _expiryTimer?.Dispose(); _expiryTimer = null; }
        }, ExpiryCheckPeriod, ExpiryCheckPeriod);
    }

    private CommandRecord? Move(CommandRecord record, CommandDeliveryStatus to, DateTimeOffset at, string? reason, IReadOnlyList<TagValue>? outputs = null)
    {
        var moved = CommandLifecycle.Move(record, to, at, reason, outputs);
        if (moved is null) return null;
        L.Commands.Replace(moved);
        _services.Recorder?.RecordCommand(TwinId, moved);
        _logDirty = true;
        _feed?.CommandMoved(moved);
        LogTransition(moved);
        return moved;
    }

    private void LogTransition(CommandRecord r)
    {
        var e = r.Envelope;
        // Every transition is kept in the command's audit record; the log shows people's commands and every
        // failure at Information or above, and the steady stream of control-loop outputs at Debug.
        var level = r.Status is CommandDeliveryStatus.Rejected or CommandDeliveryStatus.Expired ? LogLevel.Warning
            : e.IssuerKind == IssuerKind.ControlLoop ? LogLevel.Debug : LogLevel.Information;
        if (e.Method is { } method)
            _services.Logger.Log(level, "Command {CommandId} on twin {TwinId} by {IssuerKind} {Issuer} (call {Method}) {Status} at {At:O}: {Reason}",
                e.CommandId, e.Target, e.IssuerKind, e.Issuer, method, r.Status, r.Transitions[^1].At, r.Reason ?? "");
        else
            _services.Logger.Log(level, "Command {CommandId} on twin {TwinId} by {IssuerKind} {Issuer} (write {Tag} = {Value}) {Status} at {At:O}: {Reason}",
                e.CommandId, e.Target, e.IssuerKind, e.Issuer, e.Tag, LoggedValue(e.Payload), r.Status, r.Transitions[^1].At, r.Reason ?? "");
    }

    /// <summary>A value as structured logging should carry it: numbers and booleans as themselves (a JSON log shows
    /// 13.5, not null or a type name), anything else as its text; null when there is none (a method call).</summary>
    internal static object? LoggedValue(TagValue value) => value.DataType switch
    {
        TagDataType.None => null,
        TagDataType.Boolean => value.AsBoolean(),
        TagDataType.Integer => value.AsInteger(),
        TagDataType.Double => value.AsDouble(),
        _ => value.ToString(),
    };

    /// <summary>Writes the state; when another activation wrote it meanwhile (a stale ETag or epoch), this
    /// activation deactivates so the next call reloads the stored state, and the caller sees the failure
    /// (nothing it asked for is acknowledged).</summary>
    private async Task SaveAsync(bool machine, CancellationToken cancellationToken = default, bool schema = false)
    {
        try
        {
            if (schema || _logDirty || _indexKeyChanged)
            {
                // Metadata first: after a failure between the two writes the stored values never outnumber it.
                Schema.Tags = S.Tags.Schema.Metadata;
                Schema.LogMerged = true;
                await _schemaState.WriteStateAsync(cancellationToken);
                _logDirty = false;
                _indexKeyChanged = false;
            }
            if (machine) await _state.WriteStateAsync(cancellationToken);
        }
        catch (InconsistentStateException ex)
        {
            _feed?.Discard();   // not stored: not published
            _services.Logger.LogWarning(ex, "Twin {TwinId} state changed elsewhere; deactivating", TwinId);
            _expiryTimer?.Dispose();
            _expiryTimer = null;
            DeactivateOnIdle();
            throw;
        }
        catch (Exception)
        {
            _feed?.Discard();
            throw;
        }
        _feed?.Publish(TwinId, ConnectivityAt(Now), S.Shadow.Version, name => S.Tags.IndexOf(name) is int i and >= 0 ? S.Tags.Snapshot(i, Now, Config.EffectiveStaleAfter) : null,
            () => { var now = Now; var bound = Config.EffectiveStaleAfter; var all = new TagSnapshot[S.Tags.Count]; for (int i = 0; i < all.Length; i++) all[i] = S.Tags.Snapshot(i, now, bound); return all; });
    }

    /// <inheritdoc />
    public Task<TwinWatch> WatchAsync(ITwinObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        _feed ??= new TwinChangeFeed(_services.Logger);
        _feed.Watch(observer);
        return Task.FromResult(new TwinWatch(_feed.Position, BuildSnapshot()));
    }

    /// <inheritdoc />
    public Task UnwatchAsync(ITwinObserver observer)
    {
        _feed?.Unwatch(observer);
        return Task.CompletedTask;
    }

    /// <summary>One instance per distinct configuration (records compare by value; lists by reference), so
    /// that thousands of twins described alike hold one configuration object.</summary>
    private static TwinConfiguration Share(TwinConfiguration configuration)
    {
        if (SharedConfigurations.TryGetValue(configuration, out var shared)) return shared;
        return SharedConfigurations.Count < MaxSharedConfigurations ? SharedConfigurations.GetOrAdd(configuration, configuration) : configuration;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
