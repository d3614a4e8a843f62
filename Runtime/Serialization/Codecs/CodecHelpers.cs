using System.Runtime.CompilerServices;

namespace Imv.Runtime.Serialization.Codecs;

/// <summary>Shared pieces of the built-in codecs: range errors and the element loop of collections.
/// Collections are a <see cref="WireType.StartObject"/> whose elements are all field 0; a null element is
/// the tag (0, <see cref="WireType.Null"/>); fields with other ids are skipped (version tolerance).</summary>
public static class CodecHelpers
{
    /// <summary>Throws a <see cref="SerializationException"/> saying that <paramref name="value"/> does not fit
    /// in <paramref name="typeName"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static SerializationException OutOfRange(string typeName, long value) =>
        new($"Value {value} is out of range for {typeName}.");

    /// <summary>Throws a <see cref="SerializationException"/> saying that <paramref name="value"/> does not fit
    /// in <paramref name="typeName"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static SerializationException OutOfRange(string typeName, ulong value) =>
        new($"Value {value} is out of range for {typeName}.");

    /// <summary>Writes one collection element as field 0, or the tag (0, Null) when it is null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteElement<T, TCodec>(ref CodecWriter writer, T value) where TCodec : IFieldCodec<T>
    {
        if (value is null) writer.WriteTag(0, WireType.Null);
        else TCodec.WriteField(ref writer, 0, value);
    }

    /// <summary>Reads the next element of a collection whose StartObject was read and entered. Returns false
    /// (and leaves the object) at its EndObject. Fields other than 0 are skipped; a Null element reads as default.</summary>
    public static bool TryReadElement<T, TCodec>(ref CodecReader reader, out T value) where TCodec : IFieldCodec<T>
    {
        while (true)
        {
            var (id, wireType) = reader.ReadTag();
            if (wireType == WireType.EndObject)
            {
                reader.LeaveObject();
                value = default!;
                return false;
            }
            if (id != 0)
            {
                reader.SkipField(wireType);
                continue;
            }
            value = wireType == WireType.Null ? default! : TCodec.ReadValue(ref reader, wireType);
            return true;
        }
    }

    /// <summary>Reads one dictionary entry object (field 0 the key, field 1 the value) whose StartObject tag
    /// was just read. A missing or null key throws; a missing or Null value reads as default.</summary>
    public static void ReadEntry<TKey, TValue, TKeyCodec, TValueCodec>(ref CodecReader reader, WireType wireType, out TKey key, out TValue value)
        where TKeyCodec : IFieldCodec<TKey>
        where TValueCodec : IFieldCodec<TValue>
    {
        CodecReader.Expect(wireType, WireType.StartObject, "dictionary entry");
        reader.EnterObject();
        bool hasKey = false;
        key = default!;
        value = default!;
        while (true)
        {
            var (id, wt) = reader.ReadTag();
            if (wt == WireType.EndObject) break;
            if (id == 0 && wt != WireType.Null)
            {
                key = TKeyCodec.ReadValue(ref reader, wt);
                hasKey = key is not null;
            }
            else if (id == 1)
            {
                value = wt == WireType.Null ? default! : TValueCodec.ReadValue(ref reader, wt);
            }
            else
            {
                reader.SkipField(wt);
            }
        }
        reader.LeaveObject();
        if (!hasKey) throw new SerializationException("Dictionary entry without a key.");
    }

    /// <summary>Writes one dictionary entry object as field 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteEntry<TKey, TValue, TKeyCodec, TValueCodec>(ref CodecWriter writer, TKey key, TValue value)
        where TKeyCodec : IFieldCodec<TKey>
        where TValueCodec : IFieldCodec<TValue>
    {
        writer.WriteStartObject(0);
        TKeyCodec.WriteField(ref writer, 0, key);
        if (value is null) writer.WriteTag(1, WireType.Null);
        else TValueCodec.WriteField(ref writer, 1, value);
        writer.WriteEndObject();
    }
}
