using System.Collections.Concurrent;
using System.Globalization;

namespace Imv.Grains.Interfaces.TwinIndex;

/// <summary>Where a twin's entry lives in the twin status index: sharded by the twin's organization (and, when an
/// organization has several shards, by a hash of the twin id), so that a listing of one line asks that line's shard
/// and no shard holds the twins of more than one organization.</summary>
public static class TwinStatusIndex
{
    /// <summary>Shards per organization. One: an organization (a line) holds hundreds to a few thousand twins, which one
    /// grain scans in microseconds, while every shard more is one more call for every listing (measured: a page over
    /// 100,000 twins in 100 lines, p99 65 ms with one shard per line, 117 ms with four; docs/performance.md). Raise it
    /// for organizations holding tens of thousands of twins directly. Fixed per deployment: changing it moves entries
    /// between shards (the twins re-register where they belong, but their old entries stay in the old shards).</summary>
    public const int ShardsPerOrganization = 1;

    /// <summary>Shards for the twins of no organization (gateways may describe many twins without one).</summary>
    public const int ShardsWithoutOrganization = 16;

    private const string OrganizationPrefix = "org/";
    private const string NonePrefix = "none/";

    /// <summary>Organizations whose shard keys are kept to be shared; beyond it a key is built per call (still right,
    /// only not shared).</summary>
    private const int MaxSharedOrganizations = 100_000;

    private static readonly string[] NoneKeys = [.. Enumerable.Range(0, ShardsWithoutOrganization).Select(i => NonePrefix + i.ToString(CultureInfo.InvariantCulture))];
    private static readonly ConcurrentDictionary<string, string[]> OrganizationKeys = new(StringComparer.Ordinal);

    /// <summary>The key of the shard holding <paramref name="twinId"/> of <paramref name="organizationId"/> (null: none):
    /// <c>org/{organization}/{shard}</c> or <c>none/{shard}</c>. The same string instance for every twin of a shard
    /// (every twin keeps its shard's key: one string per twin would cost tens of bytes each).</summary>
    public static string ShardKey(string? organizationId, string twinId)
    {
        ArgumentNullException.ThrowIfNull(twinId);
        uint hash = 2166136261;   // FNV-1a: stable across processes and versions (string.GetHashCode is not)
        foreach (char c in twinId) hash = (hash ^ c) * 16777619;
        if (string.IsNullOrEmpty(organizationId)) return NoneKeys[hash % ShardsWithoutOrganization];
        int shard = (int)(hash % ShardsPerOrganization);
        if (OrganizationKeys.TryGetValue(organizationId, out var keys)) return keys[shard];
        keys = [.. Enumerable.Range(0, ShardsPerOrganization).Select(i => OrganizationPrefix + organizationId + "/" + i.ToString(CultureInfo.InvariantCulture))];
        return (OrganizationKeys.Count < MaxSharedOrganizations ? OrganizationKeys.GetOrAdd(organizationId, keys) : keys)[shard];
    }

    /// <summary>The shared instance of a shard key read from storage (see <see cref="ShardKey"/>); the key itself when it
    /// is not one this version builds.</summary>
    public static string Shared(string shardKey)
    {
        ArgumentNullException.ThrowIfNull(shardKey);
        if (shardKey.StartsWith(NonePrefix, StringComparison.Ordinal))
            return int.TryParse(shardKey.AsSpan(NonePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int n)
                && n < ShardsWithoutOrganization && NoneKeys[n] == shardKey ? NoneKeys[n] : shardKey;
        if (OrganizationOf(shardKey) is not { } organization) return shardKey;
        ShardKey(organization, "");   // shares the organization's keys (when under the bound)
        if (OrganizationKeys.TryGetValue(organization, out var keys))
            foreach (var key in keys)
                if (key == shardKey) return key;
        return shardKey;
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
