namespace Imv.Runtime.Serialization;

/// <summary>Encodes and decodes values of <typeparamref name="T"/> as tagged fields. Implemented by the
/// source generator for every <see cref="GenerateSerializerAttribute"/> type, by the runtime for built-in
/// types, and by hand for types marked <see cref="CustomCodecAttribute"/>. Static members, so generic
/// code dispatches without virtual calls or allocations.</summary>
/// <typeparam name="T">The encoded type.</typeparam>
public interface IFieldCodec<T>
{
    /// <summary>Writes <paramref name="value"/> as field <paramref name="fieldId"/>. A null reference
    /// writes nothing: a missing field reads back as null.</summary>
    static abstract void WriteField(ref CodecWriter writer, uint fieldId, T value);

    /// <summary>Reads a value whose tag (with <paramref name="wireType"/>) was just read. Throws
    /// <see cref="SerializationException"/> when the wire type does not fit.</summary>
    static abstract T ReadValue(ref CodecReader reader, WireType wireType);
}
