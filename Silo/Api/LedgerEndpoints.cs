using Imv.Silo.Security;
using System.Globalization;
using Imv.Grains.Interfaces.Assets;

namespace Imv.Silo.Api;

/// <summary><c>/api/ledger</c>: the tamper-evident ledger of asset registrations, mints and transfers.</summary>
public static class LedgerEndpoints
{
    /// <summary>Most entries one request returns.</summary>
    public const int MaxCount = 1000;

    /// <summary>Maps the endpoints.</summary>
    public static void MapLedgerEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/ledger/verify", VerifyAsync).Requires(Right.Ledger);
        app.MapGet("/api/ledger", EntriesAsync).Requires(Right.Ledger);
    }

    private static async Task<IResult> VerifyAsync(IGrainFactory grains)
    {
        var ledger = grains.GetGrain<ILedgerGrain>(LedgerNames.Main);
        var verification = await ledger.VerifyAsync().ConfigureAwait(false);
        var head = await ledger.GetHeadAsync().ConfigureAwait(false);
        return Results.Ok(new { ledger = LedgerNames.Main, verification.IsValid, verification.Count, verification.BadIndex, verification.BadEntryId, verification.Problem, head });
    }

    private static async Task<IResult> EntriesAsync(HttpRequest request, IGrainFactory grains)
    {
        long from = 0;
        int count = 100;
        if (request.Query.TryGetValue("from", out var f) && (!long.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out from)))
            return ApiResults.BadRequest($"Query parameter 'from' must be an entry index from 0 (was '{f}').", new { parameter = "from" });
        if (request.Query.TryGetValue("count", out var c) && (!int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1 || count > MaxCount))
            return ApiResults.BadRequest($"Query parameter 'count' must be an integer from 1 to {MaxCount} (was '{c}').", new { parameter = "count" });
        var ledger = grains.GetGrain<ILedgerGrain>(LedgerNames.Main);
        var entries = await ledger.GetEntriesAsync(from, count).ConfigureAwait(false);
        var head = await ledger.GetHeadAsync().ConfigureAwait(false);
        return Results.Ok(new { head, from, entries });
    }
}
