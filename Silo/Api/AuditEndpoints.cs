using System.Globalization;
using System.Text.Json;
using Imv.Grains.Interfaces.Assets;
using Imv.Silo.Security;

namespace Imv.Silo.Api;

/// <summary><c>/api/audit</c>: the append-only, hash-chained audit log (regulators and administrators).</summary>
public static class AuditEndpoints
{
    /// <summary>Most entries one request returns.</summary>
    public const int MaxCount = 1000;

    /// <summary>An audit entry as shown.</summary>
    public sealed record AuditEntryView(long Index, string Id, DateTimeOffset At, string? Who, string What, long Status, string? From, string? Via, string Hash);

    /// <summary>Maps the endpoints.</summary>
    public static void MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/audit/verify", async (IGrainFactory grains) =>
        {
            var ledger = grains.GetGrain<ILedgerGrain>(LedgerNames.Audit);
            var v = await ledger.VerifyAsync().ConfigureAwait(false);
            var head = await ledger.GetHeadAsync().ConfigureAwait(false);
            return Results.Ok(new { log = LedgerNames.Audit, v.IsValid, v.Count, v.BadIndex, v.BadEntryId, v.Problem, head });
        }).Requires(Right.Audit);
        app.MapGet("/api/audit", EntriesAsync).Requires(Right.Audit);
    }

    private static async Task<IResult> EntriesAsync(HttpRequest request, IGrainFactory grains)
    {
        long from = 0;
        int count = 100;
        if (request.Query.TryGetValue("from", out var f) && !long.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out from))
            return ApiResults.BadRequest($"Query parameter 'from' must be an entry index from 0 (was '{f}').", new { parameter = "from" });
        if (request.Query.TryGetValue("count", out var c) && (!int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1 || count > MaxCount))
            return ApiResults.BadRequest($"Query parameter 'count' must be an integer from 1 to {MaxCount} (was '{c}').", new { parameter = "count" });
        var ledger = grains.GetGrain<ILedgerGrain>(LedgerNames.Audit);
        var entries = await ledger.GetEntriesAsync(from, count).ConfigureAwait(false);
        var head = await ledger.GetHeadAsync().ConfigureAwait(false);
        return Results.Ok(new { head, from, entries = entries.Select(View) });
    }

    private static AuditEntryView View(LedgerEntry e)
    {
        string? from = null, via = null;
        if (e.Record.Memo is { } memo)
        {
            try
            {
                using var doc = JsonDocument.Parse(memo);
                if (doc.RootElement.TryGetProperty("from", out var fr) && fr.ValueKind == JsonValueKind.String) from = fr.GetString();
                if (doc.RootElement.TryGetProperty("via", out var vi) && vi.ValueKind == JsonValueKind.String) via = vi.GetString();
            }
            catch (JsonException)
            {
                via = memo;
            }
        }
        return new AuditEntryView(e.Index, e.Record.EntryId, e.Record.Timestamp, e.Record.From, e.Record.AssetId, e.Record.Amount, from, via, e.Hash);
    }
}
