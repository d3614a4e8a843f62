using System.Collections.Concurrent;
using Imv.Runtime.Messaging;

namespace Imv.Runtime.Serialization;

/// <summary>Writes a field (a codec's WriteField as a delegate).</summary>
public delegate void FieldWriter<in T>(ref CodecWriter writer, uint fieldId, T value);

/// <summary>Reads a field (a codec's ReadValue as a delegate).</summary>
public delegate T FieldReader<out T>(ref CodecReader reader, WireType wireType);

/// <summary>Codecs looked up by type at run time, for the few places that meet a type only as a generic
/// argument (stream items). Generated code registers every [GenerateSerializer] type; the common built-in
/// types are registered here. Grain calls never use it: their codecs are bound at compile time.</summary>
public static class CodecRegistry
{
    private static readonly ConcurrentDictionary<uint, Func<Message>> StreamDeliveries = new();

    static CodecRegistry()
    {
        Register<string, Codecs.StringCodec>();
        Register<int, Codecs.Int32Codec>();
        Register<long, Codecs.Int64Codec>();
        Register<double, Codecs.DoubleCodec>();
        Register<bool, Codecs.BooleanCodec>();
        Register<Guid, Codecs.GuidCodec>();
        Register<DateTimeOffset, Codecs.DateTimeOffsetCodec>();
        Register<byte[], Codecs.ByteArrayCodec>();
    }

    /// <summary>Registers the codec of <typeparamref name="T"/>.</summary>
    public static void Register<T, TCodec>() where TCodec : IFieldCodec<T>
    {
        Of<T>.Write = TCodec.WriteField;
        Of<T>.Read = TCodec.ReadValue;
        StreamDeliveries[TypeKey(typeof(T))] = Streams.MemoryStreamProvider.CreateDelivery<T>;
    }

    /// <summary>The registered codec of <typeparamref name="T"/>; throws naming the type when there is none.</summary>
    public static (FieldWriter<T> Write, FieldReader<T> Read) Get<T>()
    {
        return Of<T>.Write is { } w && Of<T>.Read is { } r
            ? (w, r)
            : throw new SerializationException($"Type {typeof(T).FullName} has no registered codec; mark it [GenerateSerializer].");
    }

    /// <summary>A stable key of a type's name, used as the method id of stream deliveries.</summary>
    public static uint TypeKey(Type type)
    {
        uint hash = 2166136261;
        foreach (char c in type.FullName ?? type.Name) hash = (hash ^ c) * 16777619;
        return hash;
    }

    internal static Message? CreateStreamDelivery(uint typeKey) =>
        StreamDeliveries.TryGetValue(typeKey, out var factory) ? factory() : null;

    private static class Of<T>
    {
        public static FieldWriter<T>? Write;
        public static FieldReader<T>? Read;
    }
}
