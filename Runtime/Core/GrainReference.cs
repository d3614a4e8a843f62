namespace Imv.Runtime;

/// <summary>Base class of generated grain proxies: a grain id bound to the runtime that routes its calls.
/// Two references to the same grain are equal.</summary>
public abstract class GrainReference : IAddressable, IEquatable<GrainReference>
{
    /// <summary>Creates a reference.</summary>
    protected GrainReference(IGrainReferenceRuntime runtime, GrainId grainId)
    {
        Runtime = runtime;
        GrainId = grainId;
    }

    /// <summary>The referenced grain.</summary>
    public GrainId GrainId { get; }

    /// <summary>The runtime that routes calls made through this reference.</summary>
    public IGrainReferenceRuntime Runtime { get; }

    /// <summary>The grain class behind this reference, once routed (saves a registry look-up per call).</summary>
    internal GrainClassInfo? CachedClass;

    /// <summary>The local activation last used, while it stays valid (saves a catalog look-up per call).</summary>
    internal ActivationData? CachedActivation;

    /// <summary>The id of the grain interface this proxy implements.</summary>
    public abstract uint InterfaceId { get; }

    /// <inheritdoc />
    public bool Equals(GrainReference? other) => other is not null && GrainId == other.GrainId;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is GrainReference other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => GrainId.GetHashCode();

    /// <inheritdoc />
    public override string ToString() => GrainId.ToString();
}
