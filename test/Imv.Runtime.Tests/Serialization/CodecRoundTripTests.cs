using Imv.Runtime.Serialization;
using Imv.Runtime.Serialization.Codecs;
using Xunit;

namespace Imv.Runtime.Tests.Serialization;

public class CodecRoundTripTests
{
    internal static T RoundTrip<T, TCodec>(T value, uint fieldId = 7) where TCodec : IFieldCodec<T>
    {
        var writer = new CodecWriter(16);
        try
        {
            TCodec.WriteField(ref writer, fieldId, value);
            var bytes = writer.ToArray();
            var reader = new CodecReader(bytes);
            var (id, wt) = reader.ReadTag();
            Assert.Equal(fieldId, id);
            var result = TCodec.ReadValue(ref reader, wt);
            Assert.True(reader.End, "codec left bytes unread");
            return result;
        }
        finally
        {
            writer.Dispose();
        }
    }

    internal static byte[] Write<T, TCodec>(T value, uint fieldId = 1) where TCodec : IFieldCodec<T>
    {
        var writer = new CodecWriter(16);
        try
        {
            TCodec.WriteField(ref writer, fieldId, value);
            return writer.ToArray();
        }
        finally
        {
            writer.Dispose();
        }
    }

    [Fact]
    public void Integers_round_trip_at_their_edges()
    {
        foreach (var v in new[] { false, true }) Assert.Equal(v, RoundTrip<bool, BooleanCodec>(v));
        foreach (var v in new byte[] { 0, 1, 127, 128, byte.MaxValue }) Assert.Equal(v, RoundTrip<byte, ByteCodec>(v));
        foreach (var v in new sbyte[] { sbyte.MinValue, -1, 0, 1, sbyte.MaxValue }) Assert.Equal(v, RoundTrip<sbyte, SByteCodec>(v));
        foreach (var v in new short[] { short.MinValue, -1, 0, 1, short.MaxValue }) Assert.Equal(v, RoundTrip<short, Int16Codec>(v));
        foreach (var v in new ushort[] { 0, 1, ushort.MaxValue }) Assert.Equal(v, RoundTrip<ushort, UInt16Codec>(v));
        foreach (var v in new[] { int.MinValue, -1, 0, 1, 63, 64, int.MaxValue }) Assert.Equal(v, RoundTrip<int, Int32Codec>(v));
        foreach (var v in new uint[] { 0, 1, uint.MaxValue }) Assert.Equal(v, RoundTrip<uint, UInt32Codec>(v));
        foreach (var v in new[] { long.MinValue, -1, 0, 1, long.MaxValue }) Assert.Equal(v, RoundTrip<long, Int64Codec>(v));
        foreach (var v in new ulong[] { 0, 1, ulong.MaxValue, 1UL << 63 }) Assert.Equal(v, RoundTrip<ulong, UInt64Codec>(v));
        foreach (var v in new[] { char.MinValue, 'a', '\uD800', char.MaxValue }) Assert.Equal(v, RoundTrip<char, CharCodec>(v));
    }

    [Fact]
    public void Out_of_range_integers_are_refused_naming_the_type()
    {
        var big = Write<long, Int64Codec>((long)int.MaxValue + 1);
        var e = Assert.Throws<SerializationException>(() => ReadFirst<int, Int32Codec>(big));
        Assert.Contains("Int32", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<SerializationException>(() => ReadFirst<sbyte, SByteCodec>(Write<long, Int64Codec>(-129)));
        Assert.Contains("SByte", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<SerializationException>(() => ReadFirst<short, Int16Codec>(Write<long, Int64Codec>(short.MaxValue + 1)));
        Assert.Contains("Int16", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<SerializationException>(() => ReadFirst<byte, ByteCodec>(Write<ulong, UInt64Codec>(256)));
        Assert.Contains("Byte", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<SerializationException>(() => ReadFirst<ushort, UInt16Codec>(Write<ulong, UInt64Codec>(65536)));
        Assert.Contains("UInt16", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<SerializationException>(() => ReadFirst<uint, UInt32Codec>(Write<ulong, UInt64Codec>(1UL << 32)));
        Assert.Contains("UInt32", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<SerializationException>(() => ReadFirst<bool, BooleanCodec>(Write<ulong, UInt64Codec>(2)));
        Assert.Contains("Boolean", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<SerializationException>(() => ReadFirst<char, CharCodec>(Write<ulong, UInt64Codec>(65536)));
        Assert.Contains("Char", e.Message, StringComparison.Ordinal);
        // Wrong wire type.
        Assert.Throws<SerializationException>(() => ReadFirst<int, Int32Codec>(Write<double, DoubleCodec>(1)));
    }

    internal static T ReadFirst<T, TCodec>(byte[] bytes) where TCodec : IFieldCodec<T>
    {
        var reader = new CodecReader(bytes);
        var (_, wt) = reader.ReadTag();
        return TCodec.ReadValue(ref reader, wt);
    }

    [Fact]
    public void Floating_point_round_trips_bit_for_bit()
    {
        foreach (var v in new[] { 0f, -0f, float.Epsilon, float.MinValue, float.MaxValue, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1.5f })
            Assert.Equal(BitConverter.SingleToUInt32Bits(v), BitConverter.SingleToUInt32Bits(RoundTrip<float, SingleCodec>(v)));
        var payloadNaN = BitConverter.UInt64BitsToDouble(0x7FF8_0000_DEAD_BEEF);
        foreach (var v in new[] { 0d, -0d, double.Epsilon, double.MinValue, double.MaxValue, double.NaN, payloadNaN, double.NegativeInfinity, Math.PI })
            Assert.Equal(BitConverter.DoubleToUInt64Bits(v), BitConverter.DoubleToUInt64Bits(RoundTrip<double, DoubleCodec>(v)));
        foreach (var v in new[] { decimal.MinValue, decimal.MaxValue, 0m, -0.0000000000000000000000000001m, 1.10m, 79228162514264337593543950335m / 3 })
        {
            var back = RoundTrip<decimal, DecimalCodec>(v);
            Assert.Equal(v, back);
            Assert.Equal(decimal.GetBits(v), decimal.GetBits(back)); // scale kept (1.10 stays 1.10)
        }
    }

    [Fact]
    public void Strings_guids_bytes_and_times_round_trip()
    {
        foreach (var s in new[] { "", "a", "héllo wörld ✓ 𝄞", new string('x', 127), new string('y', 128), new string('é', 5000) })
            Assert.Equal(s, RoundTrip<string, StringCodec>(s));
        Assert.Empty(Write<string?, StringCodec>(null));
        Assert.Empty(Write<byte[]?, ByteArrayCodec>(null));
        Assert.Equal([], RoundTrip<byte[], ByteArrayCodec>([]));
        Assert.Equal(new byte[] { 0, 1, 255 }, RoundTrip<byte[], ByteArrayCodec>([0, 1, 255]));
        foreach (var g in new[] { Guid.Empty, Guid.NewGuid(), Guid.AllBitsSet }) Assert.Equal(g, RoundTrip<Guid, GuidCodec>(g));

        foreach (var d in new[] { DateTime.MinValue, DateTime.MaxValue, new DateTime(2026, 11, 21, 1, 2, 3, DateTimeKind.Utc), new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Local).AddTicks(7), DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc) })
        {
            var back = RoundTrip<DateTime, DateTimeCodec>(d);
            Assert.Equal(d.Ticks, back.Ticks);
            Assert.Equal(d.Kind, back.Kind);
        }
        foreach (var d in new[] { DateTimeOffset.MinValue, DateTimeOffset.MaxValue, new DateTimeOffset(2026, 11, 21, 1, 2, 3, TimeSpan.FromMinutes(330)).AddTicks(1), new DateTimeOffset(2026, 11, 21, 1, 2, 3, TimeSpan.FromHours(-14)), new DateTimeOffset(9999, 12, 31, 10, 0, 0, TimeSpan.FromHours(14)) })
        {
            var back = RoundTrip<DateTimeOffset, DateTimeOffsetCodec>(d);
            Assert.Equal(d.Ticks, back.Ticks);
            Assert.Equal(d.Offset, back.Offset);
        }
        foreach (var t in new[] { TimeSpan.MinValue, TimeSpan.MaxValue, TimeSpan.Zero, TimeSpan.FromTicks(-1) }) Assert.Equal(t, RoundTrip<TimeSpan, TimeSpanCodec>(t));
    }

    [Fact]
    public void Nullable_writes_nothing_for_null()
    {
        Assert.Empty(Write<int?, NullableCodec<int, Int32Codec>>(null));
        Assert.Equal(-5, RoundTrip<int?, NullableCodec<int, Int32Codec>>(-5));
        Assert.Equal(Guid.AllBitsSet, RoundTrip<Guid?, NullableCodec<Guid, GuidCodec>>(Guid.AllBitsSet));
        var reader = new CodecReader([]);
        Assert.Null(NullableCodec<int, Int32Codec>.ReadValue(ref reader, WireType.Null));
    }

    [Fact]
    public void Collections_round_trip_with_null_elements_and_nesting()
    {
        Assert.Empty(Write<int[]?, ArrayCodec<int, Int32Codec>>(null));
        Assert.Empty(Write<List<int>?, ListCodec<int, Int32Codec>>(null));
        Assert.Empty(RoundTrip<int[], ArrayCodec<int, Int32Codec>>([]));
        Assert.Empty(RoundTrip<List<string?>, ListCodec<string?, StringCodec>>([]));
        Assert.Equal([int.MinValue, 0, int.MaxValue], RoundTrip<int[], ArrayCodec<int, Int32Codec>>([int.MinValue, 0, int.MaxValue]));
        Assert.Equal(new string?[] { "a", null, "", "z" }, RoundTrip<List<string?>, ListCodec<string?, StringCodec>>(["a", null, "", "z"]));
        Assert.Equal([1, null, 3], RoundTrip<int?[], ArrayCodec<int?, NullableCodec<int, Int32Codec>>>([1, null, 3]));
        Assert.Equal(new string?[] { "x", null }, RoundTrip<string?[], ArrayCodec<string?, StringCodec>>(["x", null]));

        var nested = new List<int[]?> { new[] { 1, 2 }, null, Array.Empty<int>(), new[] { -3 } };
        var nestedBack = RoundTrip<List<int[]?>, ListCodec<int[]?, ArrayCodec<int, Int32Codec>>>(nested);
        Assert.Equal(4, nestedBack.Count);
        Assert.Equal([1, 2], nestedBack[0]!);
        Assert.Null(nestedBack[1]);
        Assert.Empty(nestedBack[2]!);
        Assert.Equal([-3], nestedBack[3]!);

        IReadOnlyList<double> ro = [1.5, double.NaN];
        var roBack = RoundTrip<IReadOnlyList<double>, ReadOnlyListCodec<double, DoubleCodec>>(ro);
        Assert.Equal(2, roBack.Count);
        Assert.True(double.IsNaN(roBack[1]));
        // An array written by ArrayCodec reads through ReadOnlyListCodec and ListCodec.
        var arrayBytes = Write<long[]?, ArrayCodec<long, Int64Codec>>([5, 6]);
        Assert.Equal([5L, 6L], ReadFirst<IReadOnlyList<long>, ReadOnlyListCodec<long, Int64Codec>>(arrayBytes)!);
        Assert.Equal([5L, 6L], ReadFirst<List<long>, ListCodec<long, Int64Codec>>(arrayBytes)!);
        // A custom IReadOnlyList implementation writes the same layout.
        var custom = new System.Collections.ObjectModel.ReadOnlyCollection<long>([5, 6]);
        Assert.Equal(arrayBytes, Write<IReadOnlyList<long>?, ReadOnlyListCodec<long, Int64Codec>>(custom));

        var set = RoundTrip<HashSet<string?>, HashSetCodec<string?, StringCodec>>(["a", "b", null]);
        Assert.Equal(3, set.Count);
        Assert.Contains(null, set);
        Assert.Empty(RoundTrip<HashSet<Guid>, HashSetCodec<Guid, GuidCodec>>([]));
    }

    [Fact]
    public void Dictionaries_round_trip()
    {
        Assert.Empty(Write<Dictionary<string, int>?, DictionaryCodec<string, int, StringCodec, Int32Codec>>(null));
        Assert.Empty(RoundTrip<Dictionary<string, int>, DictionaryCodec<string, int, StringCodec, Int32Codec>>([]));
        var d = new Dictionary<string, List<string?>?> { ["a"] = ["x", null], ["b"] = null, [""] = [] };
        var back = RoundTrip<Dictionary<string, List<string?>?>, DictionaryCodec<string, List<string?>?, StringCodec, ListCodec<string?, StringCodec>>>(d);
        Assert.Equal(3, back.Count);
        Assert.Equal(["x", null], back["a"]!);
        Assert.Null(back["b"]);
        Assert.Empty(back[""]!);

        IReadOnlyDictionary<int, double> ro = new Dictionary<int, double> { [1] = 1.5, [-2] = double.MaxValue };
        var roBack = RoundTrip<IReadOnlyDictionary<int, double>, ReadOnlyDictionaryCodec<int, double, Int32Codec, DoubleCodec>>(ro);
        Assert.Equal(1.5, roBack[1]);
        Assert.Equal(double.MaxValue, roBack[-2]);
        var sorted = new System.Collections.ObjectModel.ReadOnlyDictionary<int, double>(new SortedDictionary<int, double> { [3] = 3 });
        Assert.Equal(3, RoundTrip<IReadOnlyDictionary<int, double>, ReadOnlyDictionaryCodec<int, double, Int32Codec, DoubleCodec>>(sorted)[3]);
    }

    [Fact]
    public void Duplicate_or_missing_dictionary_keys_are_refused()
    {
        var writer = new CodecWriter(64);
        try
        {
            writer.WriteStartObject(1);
            for (int i = 0; i < 2; i++)
            {
                writer.WriteStartObject(0);
                Int32Codec.WriteField(ref writer, 0, 4);
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
            var bytes = writer.ToArray();
            var e = Assert.Throws<SerializationException>(() => ReadFirst<Dictionary<int, int>, DictionaryCodec<int, int, Int32Codec, Int32Codec>>(bytes));
            Assert.Contains("duplicate", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            writer.Dispose();
        }
        byte[] noKey = [(1 << 3) | 3, (0 << 3) | 3, (1 << 3) | 0, 2, 4, 4];
        Assert.Throws<SerializationException>(() => ReadFirst<Dictionary<int, int>, DictionaryCodec<int, int, Int32Codec, Int32Codec>>(noKey));
    }

    [Fact]
    public void Invalid_payloads_are_refused()
    {
        // Decimal with a scale of 29.
        byte[] badDecimal = [(1 << 3) | 2, 16, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 29, 0];
        Assert.Throws<SerializationException>(() => ReadFirst<decimal, DecimalCodec>(badDecimal));
        byte[] shortGuid = [(1 << 3) | 2, 3, 1, 2, 3];
        Assert.Throws<SerializationException>(() => ReadFirst<Guid, GuidCodec>(shortGuid));
        byte[] badUtf8 = [(1 << 3) | 2, 2, 0xC3, 0x28];
        Assert.Throws<SerializationException>(() => ReadFirst<string, StringCodec>(badUtf8));
        byte[] badKind = [(1 << 3) | 1, 0, 0, 0, 0, 0, 0, 0, 0xC0];
        Assert.Throws<SerializationException>(() => ReadFirst<DateTime, DateTimeCodec>(badKind));
        // DateTimeOffset at MaxValue ticks with a negative offset: UTC past the end.
        var writer = new CodecWriter(32);
        try
        {
            writer.WriteStartObject(1);
            writer.WriteTag(0, WireType.VarInt);
            writer.WriteVarInt64(DateTime.MaxValue.Ticks);
            writer.WriteTag(1, WireType.VarInt);
            writer.WriteVarInt64(-60);
            writer.WriteEndObject();
            var bytes = writer.ToArray();
            Assert.Throws<SerializationException>(() => ReadFirst<DateTimeOffset, DateTimeOffsetCodec>(bytes));
        }
        finally
        {
            writer.Dispose();
        }
    }

    [Fact]
    public void A_writer_made_with_new_and_no_arguments_works()
    {
        var writer = new CodecWriter();
        try
        {
            Int32Codec.WriteField(ref writer, 1, 42);
            Assert.Equal(42, ReadFirst<int, Int32Codec>(writer.ToArray()));
        }
        finally
        {
            writer.Dispose();
        }
    }
}
