using Imv.Grains.Interfaces.Identity;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.Identity;

/// <summary>One binding held by a shard.</summary>
[GenerateSerializer]
public sealed class IdentityBinding
{
    /// <summary>The identifier.</summary>
    [Id(0)] public PhysicalIdentifier Identifier { get; set; } = new(IdentifierKind.Did, "");

    /// <summary>The virtual id it is bound to.</summary>
    [Id(1)] public string VirtualId { get; set; } = "";

    /// <summary>Whether the reverse entry was confirmed by the virtual id's shard.</summary>
    [Id(2)] public bool ReverseConfirmed { get; set; }

    /// <summary>When it was bound (UTC).</summary>
    [Id(3)] public DateTimeOffset RegisteredAt { get; set; }
}

/// <summary>The persistent state of a registry shard.</summary>
[GenerateSerializer]
public sealed class IdentityShardState
{
    /// <summary>Bindings by canonical identifier.</summary>
    [Id(0)] public Dictionary<string, IdentityBinding> Bindings { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Reverse index: virtual id to the identifiers bound to it (for virtual ids of this shard).</summary>
    [Id(1)] public Dictionary<string, List<PhysicalIdentifier>> Reverse { get; set; } = new(StringComparer.Ordinal);
}
