namespace Imv.Runtime.Serialization;

/// <summary>Encodes a grain reference as its grain id (type and key); decoding binds it to the
/// session's grain factory.</summary>
/// <typeparam name="TInterface">The grain interface.</typeparam>
public sealed class GrainReferenceCodec<TInterface> : IFieldCodec<TInterface> where TInterface : class, IAddressable
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, TInterface value)
    {
        if (value is null) return;
        if (value is not GrainReference reference)
            throw new SerializationException($"A {typeof(TInterface).Name} argument must be a grain reference (from GetGrain or CreateObjectReference), not a {value.GetType().Name} object.");
        writer.WriteStartObject(fieldId);
        writer.WriteTag(0, WireType.LengthPrefixed);
        writer.WriteUtf8(reference.GrainId.Type);
        writer.WriteTag(1, WireType.LengthPrefixed);
        writer.WriteUtf8(reference.GrainId.Key);
        writer.WriteEndObject();
    }

    /// <inheritdoc />
    public static TInterface ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.StartObject, "grain reference");
        reader.EnterObject();
        string? type = null, key = null;
        while (true)
        {
            var (id, wt) = reader.ReadTag();
            if (wt == WireType.EndObject) break;
            if (id == 0 && wt == WireType.LengthPrefixed) type = reader.ReadUtf8();
            else if (id == 1 && wt == WireType.LengthPrefixed) key = reader.ReadUtf8();
            else reader.SkipField(wt);
        }
        reader.LeaveObject();
        if (type is null || key is null) throw new SerializationException("Grain reference without type or key.");
        var session = reader.Session ?? throw new SerializationException("Decoding a grain reference needs a serializer session.");
        return (TInterface)(object)GrainReferenceFactory.Create(session.GrainFactory, typeof(TInterface), new GrainId(string.Intern(type), key));
    }
}
