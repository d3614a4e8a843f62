using Imv.Silo.Security;
using System.Globalization;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;
using Imv.Silo.Directory;
using Imv.Silo.Summary;

namespace Imv.Silo.Api;

/// <summary><c>POST /api/twins/{id}/commands</c>, <c>GET /api/twins/{id}/commands</c>, <c>GET /api/commands/{id}</c>.</summary>
public static partial class CommandEndpoints
{
    /// <summary>The longest a request may wait for a command to finish (<c>?wait=</c> seconds).</summary>
    public const int MaxWaitSeconds = 60;

    /// <summary>Maps the endpoints.</summary>
    public static void MapCommandEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/twins/{id}/commands", SubmitAsync).Requires(Right.Command, TargetKind.Body); // the twin checks the issuer's scopes (CommandChecks.Issuer)
        app.MapGet("/api/twins/{id}/commands", ListAsync).Requires(Right.Read, TargetKind.Twin);
        app.MapGet("/api/commands/{commandId}", GetAsync).Requires(Right.Read);
    }

    private static async Task<IResult> SubmitAsync(string id, HttpRequest request, Caller caller, ApiLimits limits, IGrainFactory grains, GridCounters counters,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!TryReadWait(request, out var wait, out var waitError)) return waitError!;
        var (body, bodyError) = await RequestBody.ReadAsync<SubmitCommandBody>(request, cancellationToken).ConfigureAwait(false);
        if (body is null) return bodyError!;
        // The issuer is the authenticated avatar; a body may repeat it, never name another.
        if (body.Issuer is not null && !string.Equals(body.Issuer, caller.AvatarId, StringComparison.Ordinal))
            return ApiResults.Forbidden($"Forbidden: the issuer of a command is the authenticated avatar '{caller.AvatarId}', not '{body.Issuer}' ('issuer' in the body may only repeat it).", new { field = "issuer", avatarId = caller.AvatarId });
        if (body.IssuerKind != IssuerKind.Avatar)
            return ApiResults.Forbidden("Forbidden: commands through the API are issued by the authenticated avatar; only the grid's control loops issue as ControlLoop.", new { field = "issuerKind" });
        if ((body.Tag is null) == (body.Method is null)) return ApiResults.BadRequest("A command writes a 'tag' or calls a 'method': give exactly one.", new { field = body.Tag is null ? "tag" : "method" });
        if (body.Tag is not null && body.Value.IsNone) return ApiResults.BadRequest($"Writing tag '{body.Tag}' needs a 'value'.", new { field = "value" });
        if (body.LifetimeSeconds is { } l && (!double.IsFinite(l) || l <= 0 || l > 86_400))
            return ApiResults.BadRequest($"'lifetimeSeconds' must be between 0 (exclusive) and 86400 (was {l.ToString(CultureInfo.InvariantCulture)}).", new { field = "lifetimeSeconds" });
        if (IdRule.CheckFields(("commandId", body.CommandId), ("tag", body.Tag), ("method", body.Method)) is { } badId) return badId;
        // Sizes before anything is stored: a refused command keeps its payload in the twin's history.
        if (limits.Check("value", body.Value) is { } badValue) return badValue;
        if (body.Arguments is { } arguments)
        {
            if (arguments.Count > limits.MaxItems)
                return ApiResults.BadRequest($"'arguments' has {arguments.Count} items (at most {limits.MaxItems}).", new { field = "arguments" });
            for (int i = 0; i < arguments.Count; i++)
                if (limits.Check($"arguments[{i}]", arguments[i]) is { } badArgument) return badArgument;
        }
        if (await TwinEndpoints.FindTwinAsync(grains, id).ConfigureAwait(false) is null) return ApiResults.UnknownTwin(id);

        var commandId = body.CommandId ?? Guid.NewGuid().ToString("N");
        var recordedTwin = await CommandDirectory.For(grains, commandId).RecordAsync(commandId, id).ConfigureAwait(false);
        if (recordedTwin != id)
            return ApiResults.Conflict($"Command id '{commandId}' was already used for twin '{recordedTwin}'.", new { commandId, twinId = recordedTwin });

        var twin = grains.GetGrain<IMachineGrain>(id);
        var requestRecord = new CommandRequest(commandId, IssuerKind.Avatar, caller.AvatarId, body.Tag, body.Method, body.Value, body.Arguments,
            body.LifetimeSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
        counters.CommandSubmitted();
        var record = await twin.SubmitCommandAsync(requestRecord).ConfigureAwait(false);
        LogSubmitted(loggers.CreateLogger("Imv.Silo.Api.Commands"), commandId, id, caller.AvatarId, record.Status, record.Reason);
        if (record.Status is CommandDeliveryStatus.Applied or CommandDeliveryStatus.Rejected) counters.CommandOutcome(record.Status);
        if (record.Status == CommandDeliveryStatus.Rejected && Refusal(record) is { } refusal) return refusal;
        if (wait > TimeSpan.Zero && !record.IsTerminal) record = await WaitAsync(twin, record, wait, cancellationToken).ConfigureAwait(false);
        return Results.Created($"/api/commands/{Uri.EscapeDataString(commandId)}", record);
    }

    /// <summary>The error answer for a command a twin's check refused; null for other outcomes (the plant's refusal
    /// is a command's outcome, reported in the record).</summary>
    internal static IResult? Refusal(CommandRecord record)
    {
        var reason = record.Reason ?? "";
        if (reason.StartsWith("issuer:", StringComparison.Ordinal)) return ApiResults.Forbidden("Command refused: " + reason, record);
        if (reason.StartsWith("lease:", StringComparison.Ordinal)) return ApiResults.Conflict("Command refused: " + reason, record);
        if (reason.StartsWith("interlock:", StringComparison.Ordinal) || reason.StartsWith("coupling:", StringComparison.Ordinal))
            return ApiResults.Unprocessable("Command refused: " + reason, record);
        return null;
    }

    private static async Task<CommandRecord> WaitAsync(IMachineGrain twin, CommandRecord record, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)(wait.TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (!record.IsTerminal && TimeProvider.System.GetTimestamp() < deadline)
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            record = await twin.GetCommandAsync(record.Envelope.CommandId).ConfigureAwait(false) ?? record;
        }
        return record;
    }

    private static bool TryReadWait(HttpRequest request, out TimeSpan wait, out IResult? error)
    {
        wait = TimeSpan.Zero;
        error = null;
        if (!request.Query.TryGetValue("wait", out var text)) return true;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || !double.IsFinite(seconds) || seconds < 0 || seconds > MaxWaitSeconds)
        {
            error = ApiResults.BadRequest($"Query parameter 'wait' must be a number of seconds from 0 to {MaxWaitSeconds} (was '{text}').", new { parameter = "wait" });
            return false;
        }
        wait = TimeSpan.FromSeconds(seconds);
        return true;
    }

    private static async Task<IResult> ListAsync(string id, HttpRequest request, IGrainFactory grains)
    {
        if (!Paging.TryRead(request, out var paging, out var error)) return error!;
        if (await TwinEndpoints.FindTwinAsync(grains, id).ConfigureAwait(false) is null) return ApiResults.UnknownTwin(id);
        var records = await grains.GetGrain<IMachineGrain>(id).GetCommandsAsync().ConfigureAwait(false);
        return Results.Ok(paging.Of(records.Reverse().ToList()));
    }

    private static async Task<IResult> GetAsync(string commandId, HttpRequest request, IGrainFactory grains)
    {
        if (!TryReadWait(request, out var wait, out var waitError)) return waitError!;
        string? twinId = request.Query.TryGetValue("twin", out var t) && !string.IsNullOrWhiteSpace(t) ? t.ToString()
            : await CommandDirectory.For(grains, commandId).FindAsync(commandId).ConfigureAwait(false);
        if (twinId is null)
            return ApiResults.NotFound($"Unknown command '{commandId}' (commands not submitted through this API need '?twin=<twin id>').", new { commandId });
        var twin = grains.GetGrain<IMachineGrain>(twinId);
        var record = await twin.GetCommandAsync(commandId).ConfigureAwait(false);
        if (record is null) return ApiResults.NotFound($"Twin '{twinId}' has no record of command '{commandId}'.", new { commandId, twinId });
        if (wait > TimeSpan.Zero && !record.IsTerminal) record = await WaitAsync(twin, record, wait, request.HttpContext.RequestAborted).ConfigureAwait(false);
        return Results.Ok(record);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "API command {CommandId} on twin {TwinId} by {Issuer}: {Status} {Reason}")]
    private static partial void LogSubmitted(ILogger logger, string commandId, string twinId, string issuer, CommandDeliveryStatus status, string? reason);
}
