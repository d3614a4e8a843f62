using Imv.Runtime.Serialization;
using Imv.Runtime.Serialization.Codecs;
using Xunit;
using static Imv.Runtime.Tests.Serialization.CodecRoundTripTests;

namespace Imv.Runtime.Tests.Serialization;

public class CodecToleranceAndFuzzTests
{
    /// <summary>Writes one unknown field of every wire type (a nested object included) with id <paramref name="id"/>.</summary>
    private static void WriteUnknownFields(ref CodecWriter writer, uint id)
    {
        writer.WriteTag(id, WireType.VarInt);
        writer.WriteVarUInt64(ulong.MaxValue);
        writer.WriteTag(id, WireType.Fixed64);
        writer.WriteFixed64(0x0102030405060708);
        writer.WriteTag(id, WireType.LengthPrefixed);
        writer.WriteUtf8("unknown");
        writer.WriteTag(id, WireType.Fixed32);
        writer.WriteFixed32(0xFFFFFFFF);
        writer.WriteTag(id, WireType.Null);
        writer.WriteStartObject(id);
        writer.WriteTag(0, WireType.VarInt);
        writer.WriteVarUInt64(1);
        writer.WriteStartObject(3);
        writer.WriteTag(1, WireType.LengthPrefixed);
        writer.WriteUtf8("deeper");
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    [Fact]
    public void Unknown_fields_of_every_wire_type_are_skipped()
    {
        var writer = new CodecWriter(64);
        try
        {
            // A DateTimeOffset from a "newer" writer with unknown fields before, between and after the known ones.
            writer.WriteStartObject(5);
            WriteUnknownFields(ref writer, 9);
            writer.WriteTag(0, WireType.VarInt);
            writer.WriteVarInt64(new DateTime(2026, 11, 21).Ticks);
            WriteUnknownFields(ref writer, 2);
            writer.WriteTag(1, WireType.VarInt);
            writer.WriteVarInt64(120);
            WriteUnknownFields(ref writer, 1000);
            writer.WriteEndObject();
            // A list with unknown non-zero fields among its elements.
            writer.WriteStartObject(6);
            Int32Codec.WriteField(ref writer, 0, 1);
            WriteUnknownFields(ref writer, 1);
            Int32Codec.WriteField(ref writer, 0, 2);
            writer.WriteEndObject();
            // A dictionary with unknown fields in the dictionary and inside an entry.
            writer.WriteStartObject(7);
            WriteUnknownFields(ref writer, 4);
            writer.WriteStartObject(0);
            WriteUnknownFields(ref writer, 2);
            StringCodec.WriteField(ref writer, 0, "k");
            WriteUnknownFields(ref writer, 3);
            Int32Codec.WriteField(ref writer, 1, 9);
            writer.WriteEndObject();
            writer.WriteEndObject();

            var reader = new CodecReader(writer.ToArray());
            var (id, wt) = reader.ReadTag();
            Assert.Equal(5u, id);
            var dto = DateTimeOffsetCodec.ReadValue(ref reader, wt);
            Assert.Equal(new DateTimeOffset(new DateTime(2026, 11, 21), TimeSpan.FromHours(2)), dto);
            (id, wt) = reader.ReadTag();
            Assert.Equal(6u, id);
            Assert.Equal([1, 2], ListCodec<int, Int32Codec>.ReadValue(ref reader, wt));
            (id, wt) = reader.ReadTag();
            Assert.Equal(7u, id);
            var dict = DictionaryCodec<string, int, StringCodec, Int32Codec>.ReadValue(ref reader, wt);
            Assert.Equal(9, Assert.Single(dict).Value);
            Assert.True(reader.End);
        }
        finally
        {
            writer.Dispose();
        }
    }

    [Fact]
    public void Missing_fields_read_as_defaults()
    {
        byte[] emptyDto = [(1 << 3) | 3, 4];
        Assert.Equal(new DateTimeOffset(0, TimeSpan.Zero), ReadFirst<DateTimeOffset, DateTimeOffsetCodec>(emptyDto));
    }

    [Fact]
    public void Deep_nesting_is_refused_not_overflowed()
    {
        var bytes = new byte[10_000];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = 3; // field 0, StartObject, forever
        Assert.Throws<SerializationException>(() =>
        {
            var reader = new CodecReader(bytes);
            var (_, wt) = reader.ReadTag();
            reader.SkipField(wt);
        });
        Assert.Throws<SerializationException>(() => ReadFirst<List<List<int>?>?, ListCodec<List<int>?, ListCodec<int, Int32Codec>>>(bytes));
    }

    private delegate void Decode(byte[] bytes);

    private static void Read<T, TCodec>(byte[] bytes) where TCodec : IFieldCodec<T>
    {
        var reader = new CodecReader(bytes);
        while (!reader.End)
        {
            var (_, wt) = reader.ReadTag();
            if (wt == WireType.EndObject) throw new SerializationException("stray EndObject");
            TCodec.ReadValue(ref reader, wt);
        }
    }

    private static void SkipAll(byte[] bytes)
    {
        var reader = new CodecReader(bytes);
        while (!reader.End)
        {
            var (_, wt) = reader.ReadTag();
            reader.SkipField(wt);
        }
    }

    [Fact]
    public void Random_and_mutated_input_only_ever_throws_SerializationException()
    {
        Decode[] decoders =
        [
            SkipAll,
            Read<int, Int32Codec>,
            Read<ulong, UInt64Codec>,
            Read<bool, BooleanCodec>,
            Read<decimal, DecimalCodec>,
            Read<Guid, GuidCodec>,
            Read<string?, StringCodec>,
            Read<DateTime, DateTimeCodec>,
            Read<DateTimeOffset, DateTimeOffsetCodec>,
            Read<int?[]?, ArrayCodec<int?, NullableCodec<int, Int32Codec>>>,
            Read<List<string?>?, ListCodec<string?, StringCodec>>,
            Read<HashSet<double>?, HashSetCodec<double, DoubleCodec>>,
            Read<List<List<long>?>?, ListCodec<List<long>?, ListCodec<long, Int64Codec>>>,
            Read<Dictionary<string, List<DateTimeOffset>?>?, DictionaryCodec<string, List<DateTimeOffset>?, StringCodec, ListCodec<DateTimeOffset, DateTimeOffsetCodec>>>,
            Read<IReadOnlyDictionary<Guid, decimal>?, ReadOnlyDictionaryCodec<Guid, decimal, GuidCodec, DecimalCodec>>,
        ];
        byte[][] seeds =
        [
            Write<int, Int32Codec>(-12345),
            Write<decimal, DecimalCodec>(123.456m),
            Write<Guid, GuidCodec>(Guid.AllBitsSet),
            Write<string?, StringCodec>("héllo"),
            Write<DateTimeOffset, DateTimeOffsetCodec>(DateTimeOffset.MaxValue),
            Write<int?[]?, ArrayCodec<int?, NullableCodec<int, Int32Codec>>>([1, null, int.MinValue]),
            Write<List<string?>?, ListCodec<string?, StringCodec>>(["a", null, ""]),
            Write<List<List<long>?>?, ListCodec<List<long>?, ListCodec<long, Int64Codec>>>([[1, 2], null, []]),
            Write<Dictionary<string, List<DateTimeOffset>?>?, DictionaryCodec<string, List<DateTimeOffset>?, StringCodec, ListCodec<DateTimeOffset, DateTimeOffsetCodec>>>(
                new() { ["x"] = [DateTimeOffset.UnixEpoch], ["y"] = null }),
            Write<IReadOnlyDictionary<Guid, decimal>?, ReadOnlyDictionaryCodec<Guid, decimal, GuidCodec, DecimalCodec>>(new Dictionary<Guid, decimal> { [Guid.Empty] = 1m }),
        ];

        var random = new Random(20261121);
        const int Inputs = 120_000;
        int serializationErrors = 0, decoded = 0;
        for (int n = 0; n < Inputs; n++)
        {
            byte[] input;
            if (n % 3 == 0)
            {
                input = new byte[random.Next(0, 64)];
                random.NextBytes(input);
            }
            else
            {
                var seed = seeds[random.Next(seeds.Length)];
                var list = new List<byte>(seed);
                int mutations = random.Next(1, 4);
                for (int m = 0; m < mutations; m++)
                {
                    switch (random.Next(5))
                    {
                        case 0 when list.Count > 0: list[random.Next(list.Count)] = (byte)random.Next(256); break;
                        case 1 when list.Count > 0: list[random.Next(list.Count)] ^= (byte)(1 << random.Next(8)); break;
                        case 2 when list.Count > 0: list.RemoveRange(random.Next(list.Count), 1); break;
                        case 3: list.Insert(random.Next(list.Count + 1), (byte)random.Next(256)); break;
                        default: int keep = random.Next(list.Count + 1); list.RemoveRange(keep, list.Count - keep); break; // truncate
                    }
                }
                input = list.ToArray();
            }
            var decoder = decoders[n % decoders.Length];
            try
            {
                decoder(input);
                decoded++;
            }
            catch (SerializationException)
            {
                serializationErrors++;
            }
            catch (Exception e)
            {
                Assert.Fail($"Input {n} ({Convert.ToHexString(input)}) to {decoder.Method} threw {e.GetType().Name}: {e}");
            }
        }
        Assert.Equal(Inputs, serializationErrors + decoded);
        Assert.True(serializationErrors > 1000 && decoded > 100, $"errors {serializationErrors}, decoded {decoded}");
    }
}
