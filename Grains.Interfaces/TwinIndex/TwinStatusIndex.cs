using System.Globalization;

namespace Imv.Grains.Interfaces.TwinIndex;

/// <summary>Where a twin's entry lives in the twin status index: sharded by the twin's organization, and within an
/// organization by a hash of the twin id, so that a listing of one line asks that line's few shards, and no shard
/// holds more than a fraction of an organization's twins.</summary>
public static class TwinStatusIndex
{
    /// <summary>Shards per organization. Fixed: changing it moves entries between shards (the twins re-register
    /// where they belong, see <see cref="ShardKey"/>, but stale entries would stay in the old shards).</summary>
    public const int ShardsPerOrganization = 4;

    /// <summary>Shards for the twins of no organization (gateways may describe many twins without one).</summary>
    public const int ShardsWithoutOrganization = 16;

    private const string OrganizationPrefix = "org/";
    private const string NonePrefix = "none/";

    /// <summary>The key of the shard holding <paramref name="twinId"/> of <paramref name="organizationId"/> (null: none):
    /// <c>org/{organization}/{shard}</c> or <c>none/{shard}</c>.</summary>
    public static string ShardKey(string? organizationId, string twinId)
    {
        ArgumentNullException.ThrowIfNull(twinId);
        uint hash = 2166136261;   // FNV-1a: stable across processes and versions (string.GetHashCode is not)
        foreach (char c in twinId) hash = (hash ^ c) * 16777619;
        return string.IsNullOrEmpty(organizationId)
            ? NonePrefix + (hash % ShardsWithoutOrganization).ToString(CultureInfo.InvariantCulture)
            : OrganizationPrefix + organizationId + "/" + (hash % ShardsPerOrganization).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The organization a shard key belongs to; null for the shards of no organization.</summary>
    public static string? OrganizationOf(string shardKey)
    {
        ArgumentNullException.ThrowIfNull(shardKey);
        if (!shardKey.StartsWith(OrganizationPrefix, StringComparison.Ordinal)) return null;
        int slash = shardKey.LastIndexOf('/');
        return slash <= OrganizationPrefix.Length ? null : shardKey[OrganizationPrefix.Length..slash];
    }
}
