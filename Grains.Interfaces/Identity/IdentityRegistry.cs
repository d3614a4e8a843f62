using Orleans;

namespace Imv.Grains.Interfaces.Identity;

/// <summary>The client-side front of the sharded identity registry: picks the shard of an identifier or a
/// virtual id and calls it. Works from grains and from clients (any <see cref="IGrainFactory"/>).</summary>
public static class IdentityRegistry
{
    /// <summary>The number of registry shards. Fixed: changing it moves bindings between shards.</summary>
    public const int ShardCount = 64;

    /// <summary>The grain key of shard <paramref name="shard"/>.</summary>
    public static string ShardKey(int shard) => "identity-" + shard.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The shard that holds the binding of <paramref name="identifier"/>.</summary>
    public static int ShardOf(PhysicalIdentifier identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        // Re-canonicalize: a hand-built identifier must land in the same shard as its canonical form.
        return ShardOfText(IdentifierParser.Parse(identifier.Canonical).Canonical);
    }

    /// <summary>The shard that holds the reverse entries of <paramref name="virtualId"/>.</summary>
    public static int ShardOfVirtualId(string virtualId)
    {
        ArgumentNullException.ThrowIfNull(virtualId);
        return ShardOfText("v:" + virtualId);
    }

    private static int ShardOfText(string text) => (int)(IdentifierParser.StableHash(text) % ShardCount);

    /// <summary>The registry shard grain for an identifier.</summary>
    public static IIdentityRegistryGrain ShardFor(this IGrainFactory factory, PhysicalIdentifier identifier)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return factory.GetGrain<IIdentityRegistryGrain>(ShardKey(ShardOf(identifier)));
    }

    /// <summary>The registry shard grain that holds the reverse entries of a virtual id.</summary>
    public static IIdentityRegistryGrain ReverseShardFor(this IGrainFactory factory, string virtualId)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return factory.GetGrain<IIdentityRegistryGrain>(ShardKey(ShardOfVirtualId(virtualId)));
    }

    /// <summary>Binds an identifier to a virtual id (Duplicate when already bound): the binding in the identifier's
    /// shard, then the reverse entry in the virtual id's shard, then the confirmation. When this completes, both
    /// directions resolve.</summary>
    public static async Task<IdentityRegistration> RegisterIdentityAsync(this IGrainFactory factory, PhysicalIdentifier identifier, string virtualId)
    {
        var shard = factory.ShardFor(identifier);
        var result = await shard.RegisterAsync(identifier, virtualId);
        if (result.Status != RegistrationStatus.Registered) return result;
        await factory.ReverseShardFor(virtualId).AddReverseAsync(virtualId, result.Identifier);
        await shard.ConfirmReverseAsync(result.Identifier);
        return result;
    }

    /// <summary>Resolves an identifier to its virtual id (NotFound when unbound).</summary>
    public static Task<IdentityResolution> ResolveIdentityAsync(this IGrainFactory factory, PhysicalIdentifier identifier) =>
        factory.ShardFor(identifier).ResolveAsync(identifier);

    /// <summary>Parses and resolves an identifier given as text (throws <see cref="FormatException"/> when invalid).</summary>
    public static Task<IdentityResolution> ResolveIdentityAsync(this IGrainFactory factory, string identifier) =>
        factory.ResolveIdentityAsync(IdentifierParser.Parse(identifier));

    /// <summary>Removes a binding and its reverse entry; false when it was not bound.</summary>
    public static async Task<bool> UnregisterIdentityAsync(this IGrainFactory factory, PhysicalIdentifier identifier)
    {
        var virtualId = await factory.ShardFor(identifier).UnregisterAsync(identifier);
        if (virtualId is null) return false;
        await factory.ReverseShardFor(virtualId).RemoveReverseAsync(virtualId, IdentifierParser.Parse(identifier.Canonical));
        return true;
    }

    /// <summary>The identifiers bound to a virtual id.</summary>
    public static Task<IReadOnlyList<PhysicalIdentifier>> GetIdentifiersAsync(this IGrainFactory factory, string virtualId)
    {
        return factory.ReverseShardFor(virtualId).GetIdentifiersAsync(virtualId);
    }

    /// <summary>Resolves many identifiers with one call per shard involved, in parallel; results in input order.</summary>
    public static async Task<IReadOnlyList<IdentityResolution>> ResolveIdentitiesAsync(this IGrainFactory factory, IReadOnlyList<PhysicalIdentifier> identifiers)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(identifiers);
        var groups = identifiers.Select((id, index) => (id, index)).GroupBy(x => ShardOf(x.id)).ToList();
        var results = new IdentityResolution[identifiers.Count];
        var calls = groups.Select(async g =>
        {
            var items = g.ToList();
            var resolved = await factory.GetGrain<IIdentityRegistryGrain>(ShardKey(g.Key)).ResolveManyAsync(items.Select(x => x.id).ToList());
            for (var i = 0; i < items.Count; i++) results[items[i].index] = resolved[i];
        });
        await Task.WhenAll(calls);
        return results;
    }
}
