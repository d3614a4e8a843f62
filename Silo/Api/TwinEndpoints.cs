using Imv.Silo.Security;
using Imv.Grains.Interfaces.Organizations;
using Imv.Grains.Interfaces.Twins;
using Imv.Silo.Directory;

namespace Imv.Silo.Api;

/// <summary><c>/api/twins</c>: list (paged, filtered), detail, alarms, shadow.</summary>
public static class TwinEndpoints
{
    /// <summary>Maps the endpoints.</summary>
    public static void MapTwinEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/twins", ListAsync).Requires(Right.Read);
        app.MapGet("/api/twins/{id}", GetAsync).Requires(Right.Read, TargetKind.Twin);
        app.MapGet("/api/twins/{id}/alarms", GetAlarmsAsync).Requires(Right.Read, TargetKind.Twin);
        app.MapGet("/api/twins/{id}/shadow", GetShadowAsync).Requires(Right.Read, TargetKind.Twin);
        app.MapPut("/api/twins/{id}/shadow/desired", SetDesiredAsync).Requires(Right.Configure, TargetKind.Twin);
        app.MapPost("/api/twins/{id}/oee/reset", ResetOeeAsync).Requires(Right.Reports, TargetKind.Twin);
        app.MapGet("/api/alarms", ListAlarmsAsync).Requires(Right.Read);
        app.MapTwinHistoryEndpoints();
    }

    /// <summary>One twin in a listing.</summary>
    public sealed record TwinListItem(string TwinId, TwinKind Kind, string? OrganizationId, string? Gateway,
        MachineRunState State, int ActiveAlarms, DateTimeOffset ReportedAt);

    /// <summary>A twin in detail.</summary>
    public sealed record TwinDetail(string TwinId, TwinKind Kind, CouplingMode Coupling, string? OrganizationId, string? Gateway,
        Grains.Interfaces.Plant.TwinConnectivity Connectivity, MachineStatus Status, DateTimeOffset? LastUpdate, TimeSpan? Staleness,
        IReadOnlyList<TwinTag> Tags, IReadOnlyList<ActiveAlarm> ActiveAlarms, Grains.Interfaces.Commands.OperatorLease? Lease,
        IReadOnlyList<TwinMethod> Methods, IReadOnlyList<string> ControlLoops, IReadOnlyList<AlarmBand> AlarmBands,
        long AppliedCount, long StaleCount, long DuplicateCount, long RejectedCount);

    /// <summary>One tag in a twin's detail: its reading (timestamps null when never read), its metadata (data type,
    /// array rank, writable, unit, limits, expected period, source gateway, address and protocol type) and the last
    /// reading the twin refused for it. <c>Stale</c>: the value is older than the tag's staleness bound (<c>ExpectedPeriod</c>, else
    /// the twin's); its quality then reads Uncertain.</summary>
    public sealed record TwinTag(string Name, TagValue Value, TagQuality Quality, DateTimeOffset? SourceTimestamp, DateTimeOffset? ReceivedTimestamp,
        long Sequence, TimeSpan? Staleness, AlarmLevel Alarm, TagDataType DataType, int ArrayRank, bool Writable, string? Unit, double? Minimum,
        double? Maximum, TimeSpan? ExpectedPeriod, string? SourceGateway, string? SourceAddress, string? SourceDataType, TagRejection? LastRejection,
        bool Stale);

    /// <summary>The tags of a snapshot with their metadata.</summary>
    public static IReadOnlyList<TwinTag> TagsOf(TwinSnapshot snapshot, TwinConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(config);
        var metadata = new Dictionary<string, TagMetadata>(StringComparer.Ordinal);
        if (config.Tags is { } tags) foreach (var m in tags) metadata[m.Name] = m;
        var list = new TwinTag[snapshot.Tags.Count];
        for (int i = 0; i < list.Length; i++)
        {
            var t = snapshot.Tags[i];
            var m = metadata.GetValueOrDefault(t.Name) ?? new TagMetadata(t.Name, t.Value.DataType);
            bool read = t.ReceivedTimestamp.UtcTicks != 0;
            list[i] = new TwinTag(t.Name, t.Value, t.Quality, read ? t.SourceTimestamp : null, read ? t.ReceivedTimestamp : null, t.Sequence,
                read ? t.Staleness : null, t.Alarm, m.DataType, m.ArrayRank, m.Writable, m.Unit, m.Minimum, m.Maximum, m.ExpectedPeriod,
                m.SourceGateway, m.SourceAddress, m.SourceDataType, t.LastRejection, t.Stale);
        }
        return list;
    }

    /// <summary>A method commands may call on the twin: described by a gateway (with its input arguments), or
    /// allowed by name in the twin's configuration (<c>gateway</c> null, arguments not known).</summary>
    public sealed record TwinMethod(string Name, string? Gateway, IReadOnlyList<Grains.Interfaces.Plant.MethodArgumentMetadata> InputArguments,
        bool ArgumentsKnown, string? SourceAddress);

    /// <summary>The twin's methods: every described one (per gateway), then the configured names no gateway described.</summary>
    public static IReadOnlyList<TwinMethod> MethodsOf(TwinConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var list = new List<TwinMethod>();
        if (config.DescribedMethods is { } described)
            foreach (var g in described)
                foreach (var m in g.Methods)
                    list.Add(new TwinMethod(m.Name, g.Gateway, m.InputArguments, m.ArgumentsKnown, m.SourceAddress));
        if (config.Methods is { } names)
            foreach (var n in names)
                if (!list.Exists(m => string.Equals(m.Name, n, StringComparison.Ordinal))) list.Add(new TwinMethod(n, null, [], false, null));
        return list;
    }

    /// <summary>An active alarm with its twin.</summary>
    public sealed record TwinAlarm(string TwinId, string Tag, AlarmLevel Level, DateTimeOffset RaisedAt, double Value);

    /// <summary>The twin's configuration when the twin exists (configured or described); null otherwise.</summary>
    public static async Task<TwinConfiguration?> FindTwinAsync(IGrainFactory grains, string twinId) =>
        string.IsNullOrWhiteSpace(twinId) ? null : await grains.GetGrain<IMachineGrain>(twinId).GetConfigurationAsync().ConfigureAwait(false);

    private static async Task<IResult> ListAsync(HttpRequest request, TwinListing listing, IGrainFactory grains)
    {
        if (!Paging.TryRead(request, out var paging, out var error)) return error!;
        var (filter, filterError) = await FilterAsync(request, listing, grains).ConfigureAwait(false);
        if (filterError is not null) return filterError;

        MachineRunState? state = null;
        if (request.Query.TryGetValue("state", out var stateText))
        {
            if (!Enum.TryParse<MachineRunState>(stateText, ignoreCase: true, out var s) || !Enum.IsDefined(s) || int.TryParse(stateText, out _))
                return ApiResults.BadRequest($"Query parameter 'state' must be one of {string.Join(", ", Enum.GetNames<MachineRunState>())} (was '{stateText}').", new { parameter = "state" });
            state = s;
        }
        bool? alarmed = null;
        if (request.Query.TryGetValue("alarm", out var alarmText))
        {
            alarmed = alarmText.ToString().ToLowerInvariant() switch
            {
                "active" or "true" => true,
                "none" or "false" => false,
                _ => null,
            };
            if (alarmed is null) return ApiResults.BadRequest($"Query parameter 'alarm' must be 'active' or 'none' (was '{alarmText}').", new { parameter = "alarm" });
        }

        var skip = (long)(paging.Page - 1) * paging.PageSize;
        var page = await listing.QueryAsync(filter.Shards, filter.Kind, state, alarmed, skip, paging.PageSize).ConfigureAwait(false);
        var items = page.Entries.Select(e => new TwinListItem(e.TwinId, e.Kind, e.OrganizationId, e.Gateway, e.StateAt(page.At), e.ActiveAlarms, e.ReportedAt)).ToList();
        return Results.Ok(new Page<TwinListItem>(paging.Page, paging.PageSize, page.Matching, items));
    }

    private static async Task<IResult> ListAlarmsAsync(HttpRequest request, TwinListing listing, IGrainFactory grains)
    {
        if (!Paging.TryRead(request, out var paging, out var error)) return error!;
        var (filter, filterError) = await FilterAsync(request, listing, grains).ConfigureAwait(false);
        if (filterError is not null) return filterError;
        // The index counts each twin's active alarms: only the twins on this page are asked for theirs.
        var skip = (long)(paging.Page - 1) * paging.PageSize;
        var page = await listing.QueryAsync(filter.Shards, filter.Kind, null, alarmed: true, skip, paging.PageSize, weighByAlarms: true).ConfigureAwait(false);
        var lists = await Task.WhenAll(page.Entries.Select(async e =>
            (await grains.GetGrain<IMachineGrain>(e.TwinId).GetActiveAlarmsAsync().ConfigureAwait(false))
                .Select(a => new TwinAlarm(e.TwinId, a.Tag, a.Level, a.RaisedAt, a.Value)))).ConfigureAwait(false);
        var items = lists.SelectMany(l => l).Skip(page.SkipInFirst).Take(paging.PageSize).ToList();
        return Results.Ok(new Page<TwinAlarm>(paging.Page, paging.PageSize, (int)Math.Min(int.MaxValue, page.Weight), items));
    }

    /// <summary>The index shards to ask (those of <c>organization</c> and every organization below it, else all) and the <c>kind</c>.</summary>
    private static async Task<((string[] Shards, TwinKind? Kind) Filter, IResult? Error)> FilterAsync(HttpRequest request, TwinListing listing, IGrainFactory grains)
    {
        TwinKind? kind = null;
        if (request.Query.TryGetValue("kind", out var kindText))
        {
            if (!Enum.TryParse<TwinKind>(kindText, ignoreCase: true, out var k) || !Enum.IsDefined(k) || int.TryParse(kindText, out _))
                return ((Array.Empty<string>(), null), ApiResults.BadRequest($"Query parameter 'kind' must be one of {string.Join(", ", Enum.GetNames<TwinKind>())} (was '{kindText}').", new { parameter = "kind" }));
            kind = k;
        }
        HashSet<string>? organizations = null;
        if (request.Query.TryGetValue("organization", out var orgText))
        {
            var orgId = orgText.ToString();
            organizations = await OrganizationTree.OrganizationsAsync(grains, orgId).ConfigureAwait(false);
            if (organizations is null) return ((Array.Empty<string>(), null), ApiResults.NotFound($"Unknown organization '{orgId}'.", new { parameter = "organization", organizationId = orgId }));
        }
        return ((await listing.ShardsAsync(organizations).ConfigureAwait(false), kind), null);
    }

    private static async Task<IResult> GetAsync(string id, HttpRequest request, IGrainFactory grains, IServiceProvider services)
    {
        if (request.Query.TryGetValue("at", out var at)) return await TwinHistoryEndpoints.AsOfAsync(id, at.ToString(), grains, services, request.HttpContext.RequestAborted).ConfigureAwait(false);
        var config = await FindTwinAsync(grains, id).ConfigureAwait(false);
        if (config is null) return ApiResults.UnknownTwin(id);
        var twin = grains.GetGrain<IMachineGrain>(id);
        var snapshot = await twin.GetSnapshotAsync().ConfigureAwait(false);
        var alarms = await twin.GetActiveAlarmsAsync().ConfigureAwait(false);
        var lease = await twin.GetLeaseAsync().ConfigureAwait(false);
        return Results.Ok(new TwinDetail(id, snapshot.Kind, snapshot.Coupling, config.OrganizationId, config.Gateway, snapshot.Connectivity,
            snapshot.Status, snapshot.LastUpdate, snapshot.Staleness, TagsOf(snapshot, config), alarms, lease,
            MethodsOf(config), config.ControlLoops ?? [], config.EffectiveAlarmBands ?? [],
            snapshot.AppliedCount, snapshot.StaleCount, snapshot.DuplicateCount, snapshot.RejectedCount));
    }

    private static async Task<IResult> GetAlarmsAsync(string id, IGrainFactory grains)
    {
        if (await FindTwinAsync(grains, id).ConfigureAwait(false) is null) return ApiResults.UnknownTwin(id);
        var twin = grains.GetGrain<IMachineGrain>(id);
        return Results.Ok(new { twinId = id, active = await twin.GetActiveAlarmsAsync().ConfigureAwait(false), history = await twin.GetAlarmHistoryAsync().ConfigureAwait(false) });
    }

    private static async Task<IResult> GetShadowAsync(string id, IGrainFactory grains)
    {
        if (await FindTwinAsync(grains, id).ConfigureAwait(false) is null) return ApiResults.UnknownTwin(id);
        return Results.Ok(await grains.GetGrain<IMachineGrain>(id).GetShadowAsync().ConfigureAwait(false));
    }

    private static async Task<IResult> SetDesiredAsync(string id, HttpRequest request, ApiLimits limits, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (body, bodyError) = await RequestBody.ReadAsync<DesiredBody>(request, cancellationToken).ConfigureAwait(false);
        if (body is null) return bodyError!;
        if (body.Desired is null || body.Desired.Count == 0) return ApiResults.BadRequest("The body needs 'desired': an object of tag values.", new { field = "desired" });
        if (body.Desired.Count > limits.MaxItems) return ApiResults.BadRequest($"'desired' has {body.Desired.Count} tags (at most {limits.MaxItems}).", new { field = "desired" });
        foreach (var (tag, value) in body.Desired)
            if (limits.Check($"desired.{tag}", value) is { } badValue) return badValue;
        var config = await FindTwinAsync(grains, id).ConfigureAwait(false);
        if (config is null) return ApiResults.UnknownTwin(id);
        // Only the twin's tags (a null value removes a desired entry, whatever the tag).
        if (config.Tags is { Count: > 0 } known)
            foreach (var (tag, value) in body.Desired)
            {
                if (value.IsNone) continue;
                var metadata = known.FirstOrDefault(t => string.Equals(t.Name, tag, StringComparison.Ordinal));
                if (metadata is null)
                    return ApiResults.BadRequest($"Twin '{id}' has no tag '{tag}' (its tags: {string.Join(", ", known.Select(t => t.Name))}).", new { field = "desired." + tag });
                bool fits = value.DataType == metadata.DataType || (metadata.DataType == TagDataType.Double && value.DataType == TagDataType.Integer);
                if (!fits) return ApiResults.BadRequest($"'desired.{tag}' is {value.DataType}; tag '{tag}' is {metadata.DataType}.", new { field = "desired." + tag });
            }
        var result = await grains.GetGrain<IMachineGrain>(id).SetDesiredAsync(new DesiredUpdate(body.Desired, body.ExpectedVersion)).ConfigureAwait(false);
        return result.Conflict
            ? ApiResults.Conflict($"The shadow of twin '{id}' is at version {result.Shadow.Version}, not {body.ExpectedVersion}.", result.Shadow)
            : Results.Ok(result.Shadow);
    }

    private static async Task<IResult> ResetOeeAsync(string id, IGrainFactory grains)
    {
        if (await FindTwinAsync(grains, id).ConfigureAwait(false) is null) return ApiResults.UnknownTwin(id);
        var twin = grains.GetGrain<IMachineGrain>(id);
        await twin.ResetOeeWindowAsync().ConfigureAwait(false);
        return Results.Ok(await twin.GetStatusAsync().ConfigureAwait(false));
    }

    private static IResult UnknownTwinResult(string id) => ApiResults.UnknownTwin(id);
}
