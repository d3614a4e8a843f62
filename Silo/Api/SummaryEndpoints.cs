using Imv.Silo.Summary;

namespace Imv.Silo.Api;

/// <summary><c>GET /api/summary</c> and <c>GET /api/health</c>.</summary>
public static class SummaryEndpoints
{
    /// <summary>Maps the endpoints.</summary>
    public static void MapSummaryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/summary", async (GridSummarySource source) => Results.Ok(await source.GetAsync().ConfigureAwait(false)));
        app.MapGet("/api/health", (Imv.Runtime.SiloRuntime silo) => Results.Ok(new { silo = silo.Name, activations = silo.ActivationCount }));
    }
}
