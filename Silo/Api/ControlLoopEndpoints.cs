using Imv.Silo.Security;
using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Twins;
using Imv.Silo.Directory;

namespace Imv.Silo.Api;

/// <summary><c>/api/loops</c>: the closed control loops (status, enable/disable, setpoint, one iteration now).</summary>
public static class ControlLoopEndpoints
{
    /// <summary>Maps the endpoints.</summary>
    public static void MapControlLoopEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/loops", ListAsync).Requires(Right.Read);
        app.MapGet("/api/loops/{id}", GetAsync).Requires(Right.Read, TargetKind.Loop);
        app.MapPut("/api/loops/{id}", ConfigureAsync).Requires(Right.Configure, TargetKind.Body);
        app.MapPost("/api/loops/{id}/enable", (string id, IGrainFactory grains) => ChangeAsync(id, grains, l => l.EnableAsync())).Requires(Right.Configure, TargetKind.Loop);
        app.MapPost("/api/loops/{id}/disable", (string id, IGrainFactory grains) => ChangeAsync(id, grains, l => l.DisableAsync())).Requires(Right.Configure, TargetKind.Loop);
        app.MapPut("/api/loops/{id}/setpoint", SetSetpointAsync).Requires(Right.Configure, TargetKind.Loop);
        app.MapDelete("/api/loops/{id}", DeleteAsync).Requires(Right.Configure, TargetKind.Loop);
        app.MapPost("/api/loops/{id}/run", RunOnceAsync).Requires(Right.Configure, TargetKind.Loop);
    }

    /// <summary>A loop in a listing (without its history).</summary>
    public sealed record LoopListItem(string LoopId, bool Enabled, string? MeasuredTwinId, string? MeasuredTag, string? OutputTag,
        double? Setpoint, double? LastOutput, long IterationCount, LoopIteration? LastIteration);

    /// <summary>The shortest sample period a loop may have.</summary>
    public static readonly TimeSpan MinSamplePeriod = TimeSpan.FromMilliseconds(100);

    /// <summary>A setpoint outside the measured tag's documented range (its metadata's minimum and maximum) is refused.</summary>
    private static async Task<IResult?> SetpointProblemAsync(IGrainFactory grains, ControlLoopConfiguration config, double setpoint)
    {
        if (!double.IsFinite(setpoint)) return ApiResults.BadRequest("'setpoint' must be a finite number.", new { field = "setpoint" });
        var measured = await TwinEndpoints.FindTwinAsync(grains, config.MeasuredTwinId).ConfigureAwait(false);
        var tag = measured?.Tags?.FirstOrDefault(t => string.Equals(t.Name, config.MeasuredTag, StringComparison.Ordinal));
        if (tag is null) return null;
        // Without a range of its own, the measured tag takes the range of the output tag when both have the same unit
        // (a temperature loop writing a temperature setpoint: 20..250 degC on the simulated plant).
        if (tag.Minimum is null && tag.Maximum is null && tag.Unit is { } unit)
        {
            var output = config.OutputTwinId == config.MeasuredTwinId ? measured : await TwinEndpoints.FindTwinAsync(grains, config.OutputTwinId).ConfigureAwait(false);
            if (output?.Tags?.FirstOrDefault(t => string.Equals(t.Name, config.OutputTag, StringComparison.Ordinal)) is { } outputTag && outputTag.Unit == unit)
                tag = tag with { Minimum = outputTag.Minimum, Maximum = outputTag.Maximum };
        }
        if ((tag.Minimum is { } min && setpoint < min) || (tag.Maximum is { } max && setpoint > max))
            return ApiResults.BadRequest($"'setpoint' {setpoint.ToString(System.Globalization.CultureInfo.InvariantCulture)} is outside the range of tag '{tag.Name}' of twin '{config.MeasuredTwinId}' ({tag.Minimum?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-inf"}..{tag.Maximum?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "+inf"}).",
                new { field = "setpoint", minimum = tag.Minimum, maximum = tag.Maximum });
        return null;
    }

    private static IResult UnknownLoop(string id) => ApiResults.NotFound($"Unknown control loop '{id}'.", new { loopId = id });

    private static async Task<IResult> ListAsync(HttpRequest request, IGrainFactory grains, GridCatalog catalog)
    {
        if (!Paging.TryRead(request, out var paging, out var error)) return error!;
        var page = paging.Of(catalog.Loops);
        var statuses = await Task.WhenAll(page.Items.Select(id => grains.GetGrain<IControlLoopGrain>(id).GetStatusAsync())).ConfigureAwait(false);
        var items = statuses.Select(s => new LoopListItem(s.LoopId, s.Enabled, s.Configuration?.MeasuredTwinId, s.Configuration?.MeasuredTag,
            s.Configuration?.OutputTag, s.Configuration?.Setpoint, s.LastOutput, s.IterationCount, s.History.Count > 0 ? s.History[^1] : null)).ToList();
        return Results.Ok(new Page<LoopListItem>(page.Number, page.PageSize, page.Total, items));
    }

    private static async Task<IResult> GetAsync(string id, IGrainFactory grains)
    {
        var status = await grains.GetGrain<IControlLoopGrain>(id).GetStatusAsync().ConfigureAwait(false);
        return status.Configuration is null ? UnknownLoop(id) : Results.Ok(status);
    }

    private static async Task<IResult> ConfigureAsync(string id, HttpRequest request, Caller caller, AccessControl access, IGrainFactory grains, GridCatalog catalog, CancellationToken cancellationToken)
    {
        bool enable = true;
        if (request.Query.TryGetValue("enable", out var enableText) && !bool.TryParse(enableText, out enable))
            return ApiResults.BadRequest($"Query parameter 'enable' must be true or false (was '{enableText}').", new { parameter = "enable" });
        var (config, bodyError) = await RequestBody.ReadAsync<ControlLoopConfiguration>(request, cancellationToken).ConfigureAwait(false);
        if (config is null) return bodyError!;
        if (string.IsNullOrWhiteSpace(config.MeasuredTwinId)) return ApiResults.BadRequest("The loop needs a 'measuredTwinId'.", new { field = "measuredTwinId" });
        if (string.IsNullOrWhiteSpace(config.OutputTwinId)) return ApiResults.BadRequest("The loop needs an 'outputTwinId'.", new { field = "outputTwinId" });
        if (IdRule.CheckFields(("measuredTwinId", config.MeasuredTwinId), ("outputTwinId", config.OutputTwinId), ("measuredTag", config.MeasuredTag), ("outputTag", config.OutputTag)) is { } badId) return badId;
        // An engineer configures loops on the twins in its scopes: the loop's output twin, and the twin the loop
        // drives now when it is reconfigured.
        if (await access.AuthorizeAsync(caller, Right.Configure, TargetKind.Twin, config.OutputTwinId).ConfigureAwait(false) is { } refused) return refused;
        if ((await grains.GetGrain<IControlLoopGrain>(id).GetStatusAsync().ConfigureAwait(false)).Configuration is not null
            && await access.AuthorizeAsync(caller, Right.Configure, TargetKind.Loop, id).ConfigureAwait(false) is { } refusedExisting) return refusedExisting;
        if (await TwinEndpoints.FindTwinAsync(grains, config.MeasuredTwinId).ConfigureAwait(false) is null) return ApiResults.UnknownTwin(config.MeasuredTwinId);
        var output = grains.GetGrain<IMachineGrain>(config.OutputTwinId);
        var twinConfig = await output.GetConfigurationAsync().ConfigureAwait(false);
        if (twinConfig is null) return ApiResults.UnknownTwin(config.OutputTwinId);

        if (config.SamplePeriod < MinSamplePeriod)
            return ApiResults.BadRequest($"'samplePeriod' must be at least {MinSamplePeriod} (was {config.SamplePeriod}).", new { field = "samplePeriod" });
        if (await SetpointProblemAsync(grains, config, config.Setpoint).ConfigureAwait(false) is { } badSetpoint) return badSetpoint;
        var loop = grains.GetGrain<IControlLoopGrain>(id);
        try
        {
            await loop.ConfigureAsync(config).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            return ApiResults.BadRequest("Invalid control loop configuration: " + e.Message);
        }
        // The output twin authorizes a loop by listing it.
        if (!(twinConfig.ControlLoops ?? []).Contains(id, StringComparer.Ordinal))
            await output.ConfigureAsync(twinConfig with { ControlLoops = [.. twinConfig.ControlLoops ?? [], id] }).ConfigureAwait(false);
        if (enable) await loop.EnableAsync().ConfigureAwait(false);
        else await loop.DisableAsync().ConfigureAwait(false);
        catalog.AddLoop(id);
        await grains.GetGrain<IGridCatalogGrain>(IGridCatalogGrain.Key).AddLoopAsync(id).ConfigureAwait(false);
        return Results.Ok(await loop.GetStatusAsync().ConfigureAwait(false));
    }

    private static async Task<IResult> ChangeAsync(string id, IGrainFactory grains, Func<IControlLoopGrain, Task> change)
    {
        var loop = grains.GetGrain<IControlLoopGrain>(id);
        if ((await loop.GetStatusAsync().ConfigureAwait(false)).Configuration is null) return UnknownLoop(id);
        await change(loop).ConfigureAwait(false);
        return Results.Ok(await loop.GetStatusAsync().ConfigureAwait(false));
    }

    private static async Task<IResult> SetSetpointAsync(string id, HttpRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (body, bodyError) = await RequestBody.ReadAsync<SetpointBody>(request, cancellationToken).ConfigureAwait(false);
        if (body is null) return bodyError!;
        if (body.Setpoint is not { } setpoint || !double.IsFinite(setpoint)) return ApiResults.BadRequest("The body needs a finite number 'setpoint'.", new { field = "setpoint" });
        var loop = grains.GetGrain<IControlLoopGrain>(id);
        if ((await loop.GetStatusAsync().ConfigureAwait(false)).Configuration is not { } current) return UnknownLoop(id);
        if (await SetpointProblemAsync(grains, current, setpoint).ConfigureAwait(false) is { } badSetpoint) return badSetpoint;
        try
        {
            await loop.SetSetpointAsync(setpoint).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            return ApiResults.Unprocessable("Setpoint refused: " + e.Message, new { field = "setpoint" });
        }
        return Results.Ok(await loop.GetStatusAsync().ConfigureAwait(false));
    }

    private static async Task<IResult> DeleteAsync(string id, IGrainFactory grains, GridCatalog catalog)
    {
        var loop = grains.GetGrain<IControlLoopGrain>(id);
        var config = await loop.DeleteAsync().ConfigureAwait(false);
        if (config is null) return UnknownLoop(id);
        // The output twin no longer authorizes the loop: a command it had in flight or a stale copy is refused.
        var output = grains.GetGrain<IMachineGrain>(config.OutputTwinId);
        if (await output.GetConfigurationAsync().ConfigureAwait(false) is { } twinConfig && (twinConfig.ControlLoops ?? []).Contains(id, StringComparer.Ordinal))
            await output.ConfigureAsync(twinConfig with { ControlLoops = [.. twinConfig.ControlLoops!.Where(l => l != id)] }).ConfigureAwait(false);
        catalog.RemoveLoop(id);
        await grains.GetGrain<IGridCatalogGrain>(IGridCatalogGrain.Key).RemoveLoopAsync(id).ConfigureAwait(false);
        return Results.NoContent();
    }

    private static async Task<IResult> RunOnceAsync(string id, IGrainFactory grains)
    {
        var loop = grains.GetGrain<IControlLoopGrain>(id);
        if ((await loop.GetStatusAsync().ConfigureAwait(false)).Configuration is null) return UnknownLoop(id);
        return Results.Ok(await loop.RunOnceAsync().ConfigureAwait(false));
    }
}
