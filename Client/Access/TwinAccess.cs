using Imv.Client.Connection;
using Imv.Client.Watching;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Recording;
using Imv.Grains.Interfaces.Twins;
using Microsoft.Extensions.Logging;

namespace Imv.Client.Access;

/// <summary>Machine twins (<see cref="IMachineGrain"/>): read, list below an organization, watch live.</summary>
public sealed class TwinAccess
{
    private readonly IGrainFactory _grains;
    private readonly ImvClientOptions _options;
    private readonly ILogger _logger;

    internal TwinAccess(IGrainFactory grains, ImvClientOptions options, ILogger logger)
    {
        _grains = grains;
        _options = options;
        _logger = logger;
    }

    /// <summary>The twin's grain, for every call of <see cref="IMachineGrain"/>.</summary>
    public IMachineGrain Grain(string twinId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(twinId);
        return _grains.GetGrain<IMachineGrain>(twinId);
    }

    /// <summary>The twin as of now; null when no twin of that id was ever configured or described.</summary>
    public async Task<TwinSnapshot?> GetAsync(string twinId, CancellationToken cancellationToken = default)
    {
        var grain = Grain(twinId);
        if (await grain.GetConfigurationAsync().WaitAsync(cancellationToken).ConfigureAwait(false) is null) return null;
        return await grain.GetSnapshotAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The twin as it was at <paramref name="at"/>, rebuilt from the plant recording (tags, alarms, the shadow's
    /// reported side, commands) of the silo the client is connected through. Throws
    /// <see cref="HistoryUnavailableException"/> naming the problem: an unknown twin, the recording off, nothing
    /// recorded at or before <paramref name="at"/> (the recording trails the twin by its flush interval).</summary>
    public async Task<TwinAsOf> GetAtAsync(string twinId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(twinId);
        return Value(await _grains.GetGrain<ITwinHistoryGrain>(0).GetTwinAtAsync(twinId, at).WaitAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The readings of <paramref name="tag"/> the twin accepted between <paramref name="from"/> and
    /// <paramref name="to"/> (null: the recording's first or last instant), as they are up to
    /// <paramref name="maxPoints"/> (1 to 100,000), else downsampled into that many buckets (min, max, avg).
    /// Throws <see cref="HistoryUnavailableException"/> as <see cref="GetAtAsync"/>, and for an unknown tag or a wrong range.</summary>
    public async Task<TagHistory> GetHistoryAsync(string twinId, string tag, DateTimeOffset? from = null, DateTimeOffset? to = null, int maxPoints = 1000,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(twinId);
        ArgumentException.ThrowIfNullOrWhiteSpace(tag);
        return Value(await _grains.GetGrain<ITwinHistoryGrain>(0).GetTagHistoryAsync(twinId, tag, from, to, maxPoints).WaitAsync(cancellationToken).ConfigureAwait(false));
    }

    private static T Value<T>(HistoryAnswer<T> answer) where T : class =>
        answer.Value ?? throw new HistoryUnavailableException(answer.Problem?.Kind ?? HistoryProblemKind.NothingRecorded, answer.Problem?.Message ?? "No answer.");

    /// <summary>The twin's configuration (with its tags' metadata); null when unknown.</summary>
    public Task<TwinConfiguration?> GetConfigurationAsync(string twinId, CancellationToken cancellationToken = default) =>
        Grain(twinId).GetConfigurationAsync().WaitAsync(cancellationToken);

    /// <summary>The shadow: reported, desired, delta.</summary>
    public Task<ShadowDocument> GetShadowAsync(string twinId, CancellationToken cancellationToken = default) =>
        Grain(twinId).GetShadowAsync().WaitAsync(cancellationToken);

    /// <summary>The alarms active now.</summary>
    public Task<IReadOnlyList<ActiveAlarm>> GetActiveAlarmsAsync(string twinId, CancellationToken cancellationToken = default) =>
        Grain(twinId).GetActiveAlarmsAsync().WaitAsync(cancellationToken);

    /// <summary>The latest alarm events, oldest first.</summary>
    public Task<IReadOnlyList<AlarmEvent>> GetAlarmHistoryAsync(string twinId, CancellationToken cancellationToken = default) =>
        Grain(twinId).GetAlarmHistoryAsync().WaitAsync(cancellationToken);

    /// <summary>The latest commands, oldest first.</summary>
    public Task<IReadOnlyList<CommandRecord>> GetCommandsAsync(string twinId, CancellationToken cancellationToken = default) =>
        Grain(twinId).GetCommandsAsync().WaitAsync(cancellationToken);

    /// <summary>The ids of every machine below <paramref name="organizationId"/> (the options' root organization when
    /// null), ordered; empty when the organization does not exist.</summary>
    public async Task<IReadOnlyList<string>> ListAsync(string? organizationId = null, CancellationToken cancellationToken = default)
    {
        var (_, machines) = await OrganizationWalk.DescendantsAsync(_grains, organizationId ?? _options.RootOrganization, cancellationToken).ConfigureAwait(false);
        return [.. machines.Order(StringComparer.Ordinal)];
    }

    /// <summary>The status of every machine below an organization (one call per machine, in parallel), ordered by id.</summary>
    public async Task<IReadOnlyList<MachineStatus>> ListStatusesAsync(string? organizationId = null, CancellationToken cancellationToken = default)
    {
        var ids = await ListAsync(organizationId, cancellationToken).ConfigureAwait(false);
        var statuses = await Task.WhenAll(ids.Select(id => _grains.GetGrain<IMachineGrain>(id).GetStatusAsync())).WaitAsync(cancellationToken).ConfigureAwait(false);
        return statuses;
    }

    /// <summary>Every active alarm below an organization: asks only the machines whose status counts alarms.</summary>
    public async Task<IReadOnlyList<(string TwinId, ActiveAlarm Alarm)>> ListActiveAlarmsAsync(string? organizationId = null, CancellationToken cancellationToken = default)
    {
        var statuses = await ListStatusesAsync(organizationId, cancellationToken).ConfigureAwait(false);
        var alarmed = statuses.Where(s => s.ActiveAlarms > 0).Select(s => s.MachineId).ToList();
        var lists = await Task.WhenAll(alarmed.Select(async id => (id, await _grains.GetGrain<IMachineGrain>(id).GetActiveAlarmsAsync().ConfigureAwait(false))))
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return [.. lists.SelectMany(l => l.Item2.Select(a => (l.id, a))).OrderBy(x => x.id, StringComparer.Ordinal).ThenBy(x => x.a.Tag, StringComparer.Ordinal)];
    }

    /// <summary>Subscribes to the twin's changes. The first event is <see cref="WatchEventKind.Started"/> with the
    /// snapshot; changes follow as they are stored; gaps are reported with a fresh snapshot. Throws when the twin's
    /// silo cannot be reached for the first watch.</summary>
    public async Task<TwinSubscription> WatchAsync(string twinId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(twinId);
        var subscription = new TwinSubscription(_grains, twinId, _options.RenewInterval, _logger);
        try
        {
            await subscription.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return subscription;
    }
}
