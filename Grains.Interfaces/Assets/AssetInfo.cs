using Orleans;

namespace Imv.Grains.Interfaces.Assets;

/// <summary>What registers an asset.</summary>
/// <param name="Kind">Its kind.</param>
/// <param name="Name">Its display name.</param>
/// <param name="BoundTo">The twin or identity it is bound to (a grain key, a DID, a handle).</param>
/// <param name="Owner">For unique assets: the wallet (owner identity) that receives it. For a currency: its
/// issuer, the only identity allowed to mint it.</param>
[GenerateSerializer]
public sealed record AssetRegistration(
    [property: Id(0)] AssetKind Kind,
    [property: Id(1)] string Name,
    [property: Id(2)] string BoundTo,
    [property: Id(3)] string Owner);

/// <summary>A registered asset.</summary>
/// <param name="AssetId">The asset's id (grain key); for a currency, its code.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Name">Its display name.</param>
/// <param name="BoundTo">The twin or identity it is bound to.</param>
/// <param name="Owner">Unique assets: the current owner (updated by each completed transfer). Currency: the issuer.</param>
/// <param name="Issued">Currency: the amount minted so far (minor units); unique assets: 1.</param>
/// <param name="RegisteredAt">When it was registered (UTC).</param>
[GenerateSerializer]
public sealed record AssetInfo(
    [property: Id(0)] string AssetId,
    [property: Id(1)] AssetKind Kind,
    [property: Id(2)] string Name,
    [property: Id(3)] string BoundTo,
    [property: Id(4)] string Owner,
    [property: Id(5)] long Issued,
    [property: Id(6)] DateTimeOffset RegisteredAt);
