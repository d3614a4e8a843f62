using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Gateways.Twins;

/// <summary>What one gateway tells its twins besides their tags: a status mapping, a staleness bound and an organization,
/// gateway-wide with per-twin overrides (<see cref="TwinMappingOptions"/>). Resolved once per twin when the gateway
/// describes it; the bound goes into each tag's <see cref="TagMetadata.ExpectedPeriod"/> (where the tag has none), the
/// status and organization into the <see cref="TwinDescription"/>.</summary>
public sealed class TwinMapping
{
    private readonly TwinStatusOptions? _status;
    private readonly int? _staleAfterMs;
    private readonly string? _organization;
    private readonly IReadOnlyDictionary<string, TwinMappingOptions> _twins;
    private readonly AlarmBand[]? _alarms;
    private readonly Dictionary<string, AlarmBand[]?> _twinAlarms = new(StringComparer.Ordinal);

    /// <summary>A mapping from a gateway's settings; <paramref name="staleAfterMs"/> already holds the protocol's default.</summary>
    public TwinMapping(TwinStatusOptions? status, int? staleAfterMs, string? organization, IReadOnlyDictionary<string, TwinMappingOptions>? twins,
        IReadOnlyList<AlarmBandOptions>? alarms = null)
    {
        // One band array per gateway (and per overriding twin), shared by every description.
        _alarms = alarms is { Count: > 0 } ? [.. alarms.Select(a => a.ToBand())] : null;
        if (twins is not null)
            foreach (var (id, twin) in twins)
                if (twin?.Alarms is { } own) _twinAlarms[id] = own.Count > 0 ? [.. own.Select(a => a.ToBand())] : null;
        _status = status;
        _staleAfterMs = staleAfterMs;
        _organization = string.IsNullOrWhiteSpace(organization) ? null : organization;
        _twins = twins ?? new Dictionary<string, TwinMappingOptions>();
    }

    /// <summary>A mapping that adds nothing.</summary>
    public static TwinMapping None { get; } = new(null, null, null, null);

    /// <summary>The alarm bands of a twin: its own when it overrides them, else the gateway's.</summary>
    private IReadOnlyList<AlarmBand>? AlarmsOf(string twinId) => _twinAlarms.TryGetValue(twinId, out var own) ? own : _alarms;

    /// <summary>The description of <paramref name="twinId"/> with the mapping applied.</summary>
    public TwinDescription Describe(string twinId, string gateway, IReadOnlyList<TagMetadata> tags, IReadOnlyList<MethodMetadata>? methods = null)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var twin = _twins.GetValueOrDefault(twinId);
        int? staleMs = twin?.StaleAfterMs ?? _staleAfterMs;
        var described = tags;
        if (staleMs is { } ms)
        {
            var bound = TimeSpan.FromMilliseconds(ms);
            var list = new TagMetadata[tags.Count];
            for (int i = 0; i < list.Length; i++) list[i] = tags[i].ExpectedPeriod is null ? tags[i] with { ExpectedPeriod = bound } : tags[i];
            described = list;
        }
        var organization = string.IsNullOrWhiteSpace(twin?.Organization) ? _organization : twin!.Organization;
        return new TwinDescription(twinId, gateway, described, methods, (twin?.Status ?? _status)?.ToMapping(), organization, AlarmsOf(twinId));
    }

    /// <summary>Adds a line per problem of a gateway's mapping settings, each naming its key under <paramref name="key"/>.</summary>
    public static void Validate(string key, TwinStatusOptions? status, int? staleAfterMs, IReadOnlyDictionary<string, TwinMappingOptions>? twins, List<string> errors,
        IReadOnlyList<AlarmBandOptions>? alarms = null)
    {
        ArgumentNullException.ThrowIfNull(errors);
        status?.Validate(key + ":Status", errors);
        ValidateAlarms(key + ":Alarms", alarms, errors);
        if (staleAfterMs < 0) errors.Add($"{key}:StaleAfterMs = {staleAfterMs} must be 0 (never stale) or a positive number of milliseconds.");
        if (twins is null) return;
        foreach (var (id, twin) in twins)
        {
            if (twin is null) continue;
            twin.Status?.Validate($"{key}:Twins:{id}:Status", errors);
            if (twin.StaleAfterMs < 0) errors.Add($"{key}:Twins:{id}:StaleAfterMs = {twin.StaleAfterMs} must be 0 (never stale) or a positive number of milliseconds.");
            ValidateAlarms($"{key}:Twins:{id}:Alarms", twin.Alarms, errors);
        }
    }

    private static void ValidateAlarms(string key, IReadOnlyList<AlarmBandOptions>? alarms, List<string> errors)
    {
        if (alarms is null) return;
        for (int i = 0; i < alarms.Count; i++)
            if (alarms[i]?.ToBand().Problem() is { } problem) errors.Add($"{key}:{i}: {problem}");
    }
}
