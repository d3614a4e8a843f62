using System.Buffers;
using System.Text.Json;
using Imv.Client;
using Imv.Silo.Api;
using Imv.Silo.Security;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Imv.Silo.Live;

/// <summary><c>GET /api/live</c>: the live page's server-sent events, fed by grain observers (docs/web.md). It needs
/// <see cref="Right.Read"/> on the followed organization and on every twin named: a caller whose reading is limited to
/// its scopes follows only what they cover (403 naming the right and the scope otherwise). The page authenticates it
/// with the cookie of <c>POST /api/login</c>, since an EventSource cannot send headers.</summary>
public static class LiveEndpoints
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    /// <summary>Maps the endpoint.</summary>
    public static void MapLiveEndpoints(this IEndpointRouteBuilder app)
    {
        // The targets are in the query: the gate checks the role's reach, the endpoint each target's scope.
        app.MapGet("/api/live", StreamAsync).Requires(Right.Read, TargetKind.Body);
    }

    private static async Task StreamAsync(HttpContext context, Caller caller, AccessControl access, ImvClient imv, IOptions<JsonOptions> json, ILoggerFactory loggers,
        IHostApplicationLifetime lifetime)
    {
        var request = context.Request;
        var org = request.Query["org"].FirstOrDefault();
        var twins = request.Query["twin"].Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => t!).ToList();
        var response = context.Response;
        if (org is null && twins.Count == 0)
        {
            await ApiResults.BadRequest("Give ?org=<organization id> and/or ?twin=<twin id> (repeatable).").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        var refusal = (org is null ? null : IdRule.CheckParameter("org", org)) ?? twins.Select(t => IdRule.CheckParameter("twin", t)).FirstOrDefault(r => r is not null);
        if (refusal is null && org is not null) refusal = await access.AuthorizeAsync(caller, Right.Read, TargetKind.Organization, org).ConfigureAwait(false);
        foreach (var twin in twins)
        {
            if (refusal is not null) break;
            refusal = await access.AuthorizeAsync(caller, Right.Read, TargetKind.Twin, twin).ConfigureAwait(false);
        }
        if (refusal is not null)
        {
            await refusal.ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        // The stream ends when the page goes away or the silo stops (the page then shows the lost connection and reconnects).
        using var ends = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var token = ends.Token;
        var logger = loggers.CreateLogger("Imv.Silo.Live");
        await using var feed = new LiveFeed(imv, logger);
        int followed = await feed.StartAsync(org, twins, token).ConfigureAwait(false);
        if (followed < 0)
        {
            await ApiResults.NotFound($"Unknown organization '{org}'.", new { organizationId = org }).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        response.Headers.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        var options = json.Value.SerializerOptions;
        var writer = response.BodyWriter;
        await response.WriteAsync($"event: hello\ndata: {JsonSerializer.Serialize(new { org, twins = followed }, options)}\n\n", token).ConfigureAwait(false);
        await response.Body.FlushAsync(token).ConfigureAwait(false);
        logger.LogInformation("Live page {Remote} of avatar {AvatarId} follows organization {OrganizationId} ({Twins} twins)", context.Connection.RemoteIpAddress, caller.AvatarId, org, followed);
        var events = feed.Events;
        try
        {
            while (!token.IsCancellationRequested)
            {
                using var beat = CancellationTokenSource.CreateLinkedTokenSource(token);
                beat.CancelAfter(Heartbeat);
                bool ready;
                try { ready = await events.WaitToReadAsync(beat.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    await response.WriteAsync(": heartbeat\n\n", token).ConfigureAwait(false);
                    await response.Body.FlushAsync(token).ConfigureAwait(false);
                    continue;
                }
                if (!ready) break;
                // Everything waiting goes out in one write and one flush.
                while (events.TryRead(out var e))
                {
                    writer.Write("event: "u8);
                    writer.Write(System.Text.Encoding.UTF8.GetBytes(e.Event));
                    writer.Write("\ndata: "u8);
                    using (var w = new Utf8JsonWriter(writer)) JsonSerializer.Serialize(w, e.Data, e.Data.GetType(), options);
                    writer.Write("\n\n"u8);
                }
                await writer.FlushAsync(token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested) { /* the page went away */ }
        catch (IOException) { /* the page went away */ }
    }
}
