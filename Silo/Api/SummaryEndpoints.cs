using Imv.Silo.Security;
using Imv.Silo.Hosting;
using Imv.Silo.Summary;

namespace Imv.Silo.Api;

/// <summary><c>GET /api/summary</c> and <c>GET /api/health</c>.</summary>
public static class SummaryEndpoints
{
    /// <summary>Maps the endpoints.</summary>
    public static void MapSummaryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/summary", async (GridSummarySource source) => Results.Ok(await source.GetAsync().ConfigureAwait(false))).Requires(Right.Read);
        app.MapGet("/api/health", async (SiloInfo silo) => Results.Ok(new { silo = silo.Name, activations = await silo.GetActivationCountAsync().ConfigureAwait(false) })).Public();
    }
}
