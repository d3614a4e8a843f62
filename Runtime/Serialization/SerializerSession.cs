namespace Imv.Runtime.Serialization;

/// <summary>Context shared by the codecs of one message: what grain references are bound to when decoded.</summary>
public sealed class SerializerSession(IGrainFactory grainFactory)
{
    /// <summary>The factory that rebinds decoded grain references.</summary>
    public IGrainFactory GrainFactory { get; } = grainFactory;
}
