namespace Imv.Runtime;

/// <summary>Marks a record, class or struct whose binary codec the source generator writes.
/// Its serialized members carry <see cref="IdAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Enum, Inherited = false)]
public sealed class GenerateSerializerAttribute : Attribute;

/// <summary>The stable numeric id of a serialized field (or of a grain method). Ids, not names or
/// positions, identify fields on the wire: a reader skips ids it does not know and defaults the ones
/// that are missing, which is what makes the codec version tolerant.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter | AttributeTargets.Method)]
public sealed class IdAttribute(uint id) : Attribute
{
    /// <summary>The field id.</summary>
    public uint Id { get; } = id;
}

/// <summary>Names a type that encodes the annotated type by hand, for value types whose layout the
/// generator should not choose. The codec type implements <see cref="Serialization.IFieldCodec{T}"/>.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class CustomCodecAttribute(Type codecType) : Attribute
{
    /// <summary>The codec type.</summary>
    public Type CodecType { get; } = codecType;
}

/// <summary>Lets every call into the grain class interleave with others at await points.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class ReentrantAttribute : Attribute;

/// <summary>Lets calls to this interface method interleave with any other call on the activation.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AlwaysInterleaveAttribute : Attribute;

/// <summary>A call to this method returns to the caller as soon as it is queued; the caller sees no
/// result and no exception. The method must return Task or ValueTask.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OneWayAttribute : Attribute;

/// <summary>Read-only interface method: interleaves with other read-only calls.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ReadOnlyAttribute : Attribute;

/// <summary>The grain class may have up to <see cref="MaxLocalWorkers"/> activations per silo, each
/// with the same id, created on demand when the others are busy. Such grains are never placed by
/// partition: every silo runs its own.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class StatelessWorkerAttribute(int maxLocalWorkers = 0) : Attribute
{
    /// <summary>Most local activations; 0 means the number of processors.</summary>
    public int MaxLocalWorkers { get; } = maxLocalWorkers;
}

/// <summary>Injects an IPersistentState constructor parameter, read before activation completes.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class PersistentStateAttribute(string stateName, string? storageName = null) : Attribute
{
    /// <summary>The state's name, unique within the grain type.</summary>
    public string StateName { get; } = stateName;

    /// <summary>The named storage provider; null for the silo's default.</summary>
    public string? StorageName { get; } = storageName;
}

/// <summary>The stable type name of a grain class or interface on the wire and in storage
/// (defaults to the class name without a "Grain" suffix, lower-cased).</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Interface, Inherited = false)]
public sealed class GrainTypeAttribute(string name) : Attribute
{
    /// <summary>The type name.</summary>
    public string Name { get; } = name;
}

/// <summary>Subscribes every grain of the class to the streams of a namespace: an event on stream
/// (namespace, key) activates the grain with that key.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class ImplicitStreamSubscriptionAttribute(string streamNamespace) : Attribute
{
    /// <summary>The stream namespace.</summary>
    public string StreamNamespace { get; } = streamNamespace;
}
