using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;
using Imv.Persistence.Recording;

namespace Imv.Persistence.Sqlite.Tests;

/// <summary>Recording entries of every version, damaged at random (bytes changed, cut short, grown), through the
/// decoders a replay, time travel and a tag's history use: what comes out is the entry decoded, or
/// <see cref="InvalidDataException"/> naming the file and position. Never another exception, never a hang.</summary>
public sealed class RecordingCodecFuzzTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 8, 0, 0, TimeSpan.Zero);

    private static TagUpdate[] Readings() =>
    [
        new("line-1/press-3/temperature", TagValue.FromDouble(71.23), TagQuality.Good, T0, 7),
        new("line-1/press-3/parts", TagValue.FromInteger(-12), TagQuality.Uncertain, T0, 7),
        new("line-1/press-3/running", TagValue.FromBoolean(true), TagQuality.Bad, T0.AddMilliseconds(-3), 8),
        new("line-1/press-3/state", TagValue.FromString("Running"), TagQuality.Good, T0.AddDays(-1), 9),
        new("line-1/press-3/none", TagValue.None, TagQuality.Good, T0, 9),
        new("flags", TagValue.FromArray(new[] { true, false }), TagQuality.Good, T0, 9),
        new("counts", TagValue.FromArray(new[] { 1L, long.MinValue }), TagQuality.Good, T0, 9),
        new("curve", TagValue.FromArray(new[] { 0.5, double.NaN }), TagQuality.Good, T0, 9),
        new("names", TagValue.FromArray(new[] { "a", "" }), TagQuality.Good, T0, long.MaxValue),
    ];

    [Fact]
    public void Entries_of_every_version_damaged_at_random_are_decoded_or_refused_as_damaged()
    {
        var schemas = new TagSchemas();
        var encoder = new EntryEncoder();
        var readings = Readings();
        var entries = new List<(int Kind, byte[] Data)>();
        encoder.EncodeReadings(readings, default, readings.Length, T0.UtcTicks, new RecordedTwin("m1"), schemas);
        entries.Add((RecordingCodec.ReadingsKind, encoder.Written.ToArray()));
        Assert.Equal(RecordingCodec.IndexedReadingsVersion, entries[^1].Data[0]);
        encoder.EncodeReadings(readings, default, readings.Length, T0.UtcTicks);
        entries.Add((RecordingCodec.ReadingsKind, encoder.Written.ToArray()));
        Assert.Equal(RecordingCodec.ReadingsVersion, entries[^1].Data[0]);
        using (var buffer = new MemoryStream())
        {
            using (var w = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                w.Write((byte)1);
                w.Write7BitEncodedInt(2);
                w.Write("a"); w.Write((byte)TagQuality.Good); w.Write(T0.UtcTicks); w.Write7BitEncodedInt64(20); w.Write((byte)TagDataType.Double); w.Write(3.5);
                w.Write("s"); w.Write((byte)TagQuality.Uncertain); w.Write(T0.UtcTicks); w.Write7BitEncodedInt64(1); w.Write((byte)TagDataType.String); w.Write("old");
            }
            entries.Add((RecordingCodec.ReadingsKind, buffer.ToArray()));
        }
        using (var buffer = new MemoryStream())
        {
            using (var w = RecordingCodec.Writer(buffer))
                RecordingCodec.WriteCommand(w, new CommandRecord(
                    new CommandEnvelope("c1", IssuerKind.Avatar, "ann", "m1", "setpoint", null, TagValue.FromArray(new[] { 1.5, 2.5 }), [], T0, T0.AddSeconds(30)),
                    CommandDeliveryStatus.Rejected, "plant: no", [new CommandTransition(CommandDeliveryStatus.Rejected, T0, null)]));
            entries.Add((RecordingCodec.CommandKind, buffer.ToArray()));
        }
        // Undamaged, each decodes to what was encoded.
        Assert.Equal(readings, RecordingCodec.Decode("fuzz.db", "m1", 1, T0.UtcTicks, entries[0].Kind, entries[0].Data, schemas).Readings);
        Assert.Equal(readings, RecordingCodec.Decode("fuzz.db", "m1", 1, T0.UtcTicks, entries[1].Kind, entries[1].Data, schemas).Readings);

        var random = new Random(20261207);
        int refused = 0, decoded = 0;
        for (int round = 0; round < 30_000; round++)
        {
            var (kind, original) = entries[round % entries.Count];
            var data = Damage(original, random);
            try
            {
                RecordingCodec.Decode("fuzz.db", "m1", 42, T0.UtcTicks, kind, data, schemas);
                decoded++;
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith("Recording fuzz.db: the entry at position 42 (twin 'm1') is damaged: ", e.Message, StringComparison.Ordinal);
                refused++;
            }
            if (kind != RecordingCodec.ReadingsKind) continue;
            // A tag's history walks the same bytes another way (its caller names file and position for these).
            try { RecordingCodec.ReadTag(data, T0.UtcTicks, "curve"u8, schemas, []); }
            catch (Exception e) when (e is InvalidDataException or OverflowException or ArgumentOutOfRangeException) { }
        }
        Assert.True(refused > 1000 && decoded > 100, $"{refused} refused, {decoded} decoded");
    }

    private static byte[] Damage(byte[] original, Random random)
    {
        var data = (byte[])original.Clone();
        switch (random.Next(4))
        {
            case 0: return data[..random.Next(data.Length)];
            case 1:
                var longer = new byte[data.Length + random.Next(1, 9)];
                data.CopyTo(longer, 0);
                random.NextBytes(longer.AsSpan(data.Length));
                return longer;
            default:
                for (int i = random.Next(1, 4); i > 0; i--) data[random.Next(data.Length)] = (byte)random.Next(256);
                return data;
        }
    }
}
