namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>A subtree to discover, bound from <c>Gateways:OpcUa:{i}:Discovery:{j}</c>: every object below
/// <see cref="Root"/> becomes a twin, its variables its tags and its methods its commands.</summary>
public sealed class OpcUaDiscoveryOptions
{
    /// <summary>Where to start: a browse path below the Objects folder (<c>Plant</c>) or a node id
    /// (<c>ns=1;s=Plant</c>).</summary>
    public string Root { get; set; } = "";

    /// <summary>The twin id of each object. Placeholders: <c>{endpoint}</c> (the connection's name),
    /// <c>{path}</c> (the object's browse path from the Objects folder, dot-separated), <c>{name}</c>
    /// (the object's browse name). Default <c>{endpoint}.{path}</c>.</summary>
    public string TwinIdTemplate { get; set; } = "{endpoint}.{path}";

    /// <summary>How deep to look for objects below the root (default 4).</summary>
    public int MaxDepth { get; set; } = 4;
}
