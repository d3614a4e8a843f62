namespace Imv.Runtime.Serialization;

/// <summary>Creates typed references for decoded grain ids.</summary>
public static class GrainReferenceFactory
{
    /// <summary>A proxy of <paramref name="interfaceType"/> for <paramref name="grainId"/>, bound to the
    /// runtime behind <paramref name="grainFactory"/>.</summary>
    public static GrainReference Create(IGrainFactory grainFactory, Type interfaceType, GrainId grainId)
    {
        if (grainFactory is not IGrainReferenceRuntime runtime)
            throw new SerializationException($"Grain factory {grainFactory.GetType().Name} cannot bind references.");
        return GrainTypeRegistry.GetInterface(interfaceType).ProxyFactory(runtime, grainId);
    }
}
