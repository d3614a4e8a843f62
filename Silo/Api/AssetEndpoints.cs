using Imv.Silo.Security;
using Imv.Grains.Interfaces.Assets;

namespace Imv.Silo.Api;

/// <summary><c>/api/assets</c>, <c>/api/wallets</c>, <c>/api/transfers</c>: assets, wallets and transfers, each
/// recorded in the hash-chained ledger (<c>/api/ledger</c>).</summary>
public static class AssetEndpoints
{
    /// <summary>Maps the endpoints.</summary>
    public static void MapAssetEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/assets", RegisterAsync).Requires(Right.Assets);
        app.MapGet("/api/assets/{id}", GetAsync).Requires(Right.Read, TargetKind.Asset);
        app.MapPost("/api/assets/{id}/mint", MintAsync).Requires(Right.Assets);
        app.MapGet("/api/wallets/{id}", (string id, IGrainFactory grains) => grains.GetGrain<IWalletGrain>(id).GetSnapshotAsync()).Requires(Right.Read);
        app.MapPost("/api/transfers", TransferAsync).Requires(Right.Assets);
        app.MapGet("/api/transfers/{id}", GetTransferAsync).Requires(Right.Read);
    }

    private static async Task<IResult> RegisterAsync(HttpRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (body, error) = await RequestBody.ReadAsync<RegisterAssetBody>(request, cancellationToken).ConfigureAwait(false);
        if (body is null) return error!;
        foreach (var (field, value) in new[] { ("assetId", body.AssetId), ("name", body.Name), ("boundTo", body.BoundTo), ("owner", body.Owner) })
            if (string.IsNullOrWhiteSpace(value)) return ApiResults.BadRequest($"The asset needs '{field}'.", new { field });
        if (IdRule.CheckFields(("assetId", body.AssetId), ("boundTo", body.BoundTo), ("owner", body.Owner)) is { } badId) return badId;
        if (body.Name!.Length > 200) return ApiResults.BadRequest($"'name' is at most 200 characters (was {body.Name.Length}).", new { field = "name" });
        if (body.Kind is not { } kind) return ApiResults.BadRequest("The asset needs a 'kind' (VirtualProperty, IntellectualProperty or DigitalCurrency).", new { field = "kind" });
        try
        {
            var info = await grains.GetGrain<IAssetGrain>(body.AssetId!).RegisterAsync(new AssetRegistration(kind, body.Name!, body.BoundTo!, body.Owner!)).ConfigureAwait(false);
            return Results.Created($"/api/assets/{Uri.EscapeDataString(body.AssetId!)}", info);
        }
        catch (InvalidOperationException e)
        {
            return ApiResults.Conflict(e.Message, new { assetId = body.AssetId });
        }
    }

    private static async Task<IResult> GetAsync(string id, IGrainFactory grains)
    {
        var info = await grains.GetGrain<IAssetGrain>(id).GetInfoAsync().ConfigureAwait(false);
        return info is null ? ApiResults.NotFound($"Unknown asset '{id}'.", new { assetId = id }) : Results.Ok(info);
    }

    private static async Task<IResult> MintAsync(string id, HttpRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (body, error) = await RequestBody.ReadAsync<MintBody>(request, cancellationToken).ConfigureAwait(false);
        if (body is null) return error!;
        if (string.IsNullOrWhiteSpace(body.Issuer)) return ApiResults.BadRequest("The mint needs an 'issuer'.", new { field = "issuer" });
        if (string.IsNullOrWhiteSpace(body.WalletId)) return ApiResults.BadRequest("The mint needs a 'walletId'.", new { field = "walletId" });
        if (body.Amount <= 0) return ApiResults.BadRequest($"'amount' must be positive (was {body.Amount}).", new { field = "amount" });
        if (IdRule.CheckFields(("issuer", body.Issuer), ("walletId", body.WalletId), ("mintId", body.MintId)) is { } badId) return badId;
        var asset = grains.GetGrain<IAssetGrain>(id);
        var info = await asset.GetInfoAsync().ConfigureAwait(false);
        if (info is null) return ApiResults.NotFound($"Unknown asset '{id}'.", new { assetId = id });
        if (info.Kind != AssetKind.DigitalCurrency) return ApiResults.Unprocessable($"Asset '{id}' is a {info.Kind}; only a currency can be minted.", info);
        try
        {
            return Results.Ok(await asset.MintAsync(body.MintId ?? Guid.NewGuid().ToString("N"), body.Issuer, body.WalletId, body.Amount).ConfigureAwait(false));
        }
        catch (UnauthorizedAccessException e)
        {
            return ApiResults.Forbidden(e.Message, new { assetId = id, issuer = body.Issuer });
        }
    }

    private static async Task<IResult> TransferAsync(HttpRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (body, error) = await RequestBody.ReadAsync<TransferBody>(request, cancellationToken).ConfigureAwait(false);
        if (body is null) return error!;
        foreach (var (field, value) in new[] { ("fromWallet", body.FromWallet), ("toWallet", body.ToWallet), ("assetId", body.AssetId) })
            if (string.IsNullOrWhiteSpace(value)) return ApiResults.BadRequest($"The transfer needs '{field}'.", new { field });
        if (IdRule.CheckFields(("fromWallet", body.FromWallet), ("toWallet", body.ToWallet), ("assetId", body.AssetId), ("transferId", body.TransferId)) is { } badId) return badId;
        if (body.Memo is { Length: > 1000 }) return ApiResults.BadRequest($"'memo' is at most 1000 characters (was {body.Memo.Length}).", new { field = "memo" });
        if (body.Amount <= 0) return ApiResults.BadRequest($"'amount' must be positive (was {body.Amount}).", new { field = "amount" });
        var transferId = body.TransferId ?? Guid.NewGuid().ToString("N");
        var receipt = await grains.GetGrain<ITransferGrain>(transferId).ExecuteAsync(
            new TransferRequest(transferId, body.FromWallet!, body.ToWallet!, body.AssetId!, body.Amount, body.Memo)).ConfigureAwait(false);
        return receipt.Status == TransferStatus.Rejected
            ? ApiResults.Unprocessable("Transfer rejected: " + receipt.Reason, receipt)
            : Results.Created($"/api/transfers/{Uri.EscapeDataString(transferId)}", receipt);
    }

    private static async Task<IResult> GetTransferAsync(string id, IGrainFactory grains)
    {
        var receipt = await grains.GetGrain<ITransferGrain>(id).GetReceiptAsync().ConfigureAwait(false);
        return receipt is null ? ApiResults.NotFound($"Unknown transfer '{id}'.", new { transferId = id }) : Results.Ok(receipt);
    }
}
