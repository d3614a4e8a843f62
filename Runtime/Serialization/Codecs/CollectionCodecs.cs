namespace Imv.Runtime.Serialization.Codecs;

/// <summary>Codec of arrays: a <see cref="WireType.StartObject"/> whose elements are field 0 in order; a null
/// element is the tag (0, Null) and reads back as default. A null array writes nothing.</summary>
/// <typeparam name="T">The element type.</typeparam>
/// <typeparam name="TCodec">The element codec.</typeparam>
#nullable disable annotations
public sealed class ArrayCodec<T, TCodec> : IFieldCodec<T[]> where TCodec : IFieldCodec<T>
#nullable restore annotations
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, T[]? value)
    {
        if (value is null) return;
        writer.WriteStartObject(fieldId);
        for (int i = 0; i < value.Length; i++) CodecHelpers.WriteElement<T, TCodec>(ref writer, value[i]);
        writer.WriteEndObject();
    }

    /// <inheritdoc />
    public static T[] ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.StartObject, "Array");
        reader.EnterObject();
        if (!CodecHelpers.TryReadElement<T, TCodec>(ref reader, out var first)) return [];
        var list = new List<T> { first };
        while (CodecHelpers.TryReadElement<T, TCodec>(ref reader, out var item)) list.Add(item);
        return list.ToArray();
    }
}

/// <summary>Codec of <see cref="List{T}"/>, same layout as <see cref="ArrayCodec{T, TCodec}"/>.</summary>
/// <typeparam name="T">The element type.</typeparam>
/// <typeparam name="TCodec">The element codec.</typeparam>
#nullable disable annotations
public sealed class ListCodec<T, TCodec> : IFieldCodec<List<T>> where TCodec : IFieldCodec<T>
#nullable restore annotations
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, List<T>? value)
    {
        if (value is null) return;
        writer.WriteStartObject(fieldId);
        for (int i = 0; i < value.Count; i++) CodecHelpers.WriteElement<T, TCodec>(ref writer, value[i]);
        writer.WriteEndObject();
    }

    /// <inheritdoc />
    public static List<T> ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.StartObject, "List");
        reader.EnterObject();
        var list = new List<T>();
        while (CodecHelpers.TryReadElement<T, TCodec>(ref reader, out var item)) list.Add(item);
        return list;
    }
}

/// <summary>Codec of <see cref="IReadOnlyList{T}"/>, same layout as <see cref="ArrayCodec{T, TCodec}"/> (so it
/// reads what a list or array codec wrote). Reads back a <see cref="List{T}"/>.</summary>
/// <typeparam name="T">The element type.</typeparam>
/// <typeparam name="TCodec">The element codec.</typeparam>
#nullable disable annotations
public sealed class ReadOnlyListCodec<T, TCodec> : IFieldCodec<IReadOnlyList<T>> where TCodec : IFieldCodec<T>
#nullable restore annotations
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, IReadOnlyList<T>? value)
    {
        switch (value)
        {
            case null: return;
            case T[] array: ArrayCodec<T, TCodec>.WriteField(ref writer, fieldId, array); return;
            case List<T> list: ListCodec<T, TCodec>.WriteField(ref writer, fieldId, list); return;
        }
        writer.WriteStartObject(fieldId);
        int count = value.Count;
        for (int i = 0; i < count; i++) CodecHelpers.WriteElement<T, TCodec>(ref writer, value[i]);
        writer.WriteEndObject();
    }

    /// <inheritdoc />
    public static IReadOnlyList<T> ReadValue(ref CodecReader reader, WireType wireType) =>
        ListCodec<T, TCodec>.ReadValue(ref reader, wireType);
}

/// <summary>Codec of <see cref="HashSet{T}"/>, same layout as <see cref="ArrayCodec{T, TCodec}"/>. Reads back a
/// set with the default comparer; duplicates collapse.</summary>
/// <typeparam name="T">The element type.</typeparam>
/// <typeparam name="TCodec">The element codec.</typeparam>
#nullable disable annotations
public sealed class HashSetCodec<T, TCodec> : IFieldCodec<HashSet<T>> where TCodec : IFieldCodec<T>
#nullable restore annotations
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, HashSet<T>? value)
    {
        if (value is null) return;
        writer.WriteStartObject(fieldId);
        foreach (var item in value) CodecHelpers.WriteElement<T, TCodec>(ref writer, item);
        writer.WriteEndObject();
    }

    /// <inheritdoc />
    public static HashSet<T> ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.StartObject, "HashSet");
        reader.EnterObject();
        var set = new HashSet<T>();
        while (CodecHelpers.TryReadElement<T, TCodec>(ref reader, out var item)) set.Add(item);
        return set;
    }
}

/// <summary>Codec of <see cref="Dictionary{TKey, TValue}"/>: a <see cref="WireType.StartObject"/> of entries, each a
/// nested object as field 0 holding the key as field 0 and the value as field 1 (a null value is the tag (1, Null)).
/// A duplicate or missing key is refused on read. Reads back a dictionary with the default comparer.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
/// <typeparam name="TKeyCodec">The key codec.</typeparam>
/// <typeparam name="TValueCodec">The value codec.</typeparam>
#nullable disable annotations
public sealed class DictionaryCodec<TKey, TValue, TKeyCodec, TValueCodec> : IFieldCodec<Dictionary<TKey, TValue>>
    where TKey : notnull
    where TKeyCodec : IFieldCodec<TKey>
    where TValueCodec : IFieldCodec<TValue>
#nullable restore annotations
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, Dictionary<TKey, TValue>? value)
    {
        if (value is null) return;
        writer.WriteStartObject(fieldId);
        foreach (var pair in value) CodecHelpers.WriteEntry<TKey, TValue, TKeyCodec, TValueCodec>(ref writer, pair.Key, pair.Value);
        writer.WriteEndObject();
    }

    /// <inheritdoc />
    public static Dictionary<TKey, TValue> ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.StartObject, "Dictionary");
        reader.EnterObject();
        var dictionary = new Dictionary<TKey, TValue>();
        while (true)
        {
            var (id, wt) = reader.ReadTag();
            if (wt == WireType.EndObject) break;
            if (id != 0)
            {
                reader.SkipField(wt);
                continue;
            }
            CodecHelpers.ReadEntry<TKey, TValue, TKeyCodec, TValueCodec>(ref reader, wt, out var key, out var item);
            if (!dictionary.TryAdd(key, item)) throw new SerializationException("Dictionary: duplicate key.");
        }
        reader.LeaveObject();
        return dictionary;
    }
}

/// <summary>Codec of <see cref="IReadOnlyDictionary{TKey, TValue}"/>, same layout as
/// <see cref="DictionaryCodec{TKey, TValue, TKeyCodec, TValueCodec}"/>. Reads back a <see cref="Dictionary{TKey, TValue}"/>.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
/// <typeparam name="TKeyCodec">The key codec.</typeparam>
/// <typeparam name="TValueCodec">The value codec.</typeparam>
#nullable disable annotations
public sealed class ReadOnlyDictionaryCodec<TKey, TValue, TKeyCodec, TValueCodec> : IFieldCodec<IReadOnlyDictionary<TKey, TValue>>
    where TKey : notnull
    where TKeyCodec : IFieldCodec<TKey>
    where TValueCodec : IFieldCodec<TValue>
#nullable restore annotations
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, IReadOnlyDictionary<TKey, TValue>? value)
    {
        if (value is null) return;
        if (value is Dictionary<TKey, TValue> dictionary)
        {
            DictionaryCodec<TKey, TValue, TKeyCodec, TValueCodec>.WriteField(ref writer, fieldId, dictionary);
            return;
        }
        writer.WriteStartObject(fieldId);
        foreach (var pair in value) CodecHelpers.WriteEntry<TKey, TValue, TKeyCodec, TValueCodec>(ref writer, pair.Key, pair.Value);
        writer.WriteEndObject();
    }

    /// <inheritdoc />
    public static IReadOnlyDictionary<TKey, TValue> ReadValue(ref CodecReader reader, WireType wireType) =>
        DictionaryCodec<TKey, TValue, TKeyCodec, TValueCodec>.ReadValue(ref reader, wireType);
}
