using Imv.Persistence.Recording;

namespace Imv.Persistence.Sqlite.Recording;

/// <summary>The binary form of a <c>recording_spans</c> row's data: per entry of the twin, in position order, the
/// position's step from the previous one (the first's from the row's <c>first_position</c>) shifted left by one with the
/// kind in the low bit, then the instant's step from the previous one (the first's from the row's <c>min_at</c>),
/// zig-zag; both 7-bit encoded. About 7 bytes an entry.</summary>
internal static class SpanCodec
{
    /// <summary>The most recorded time a span covers (from its first entry's instant): readers look for the spans of a
    /// range from this much before it. Part of the file's format: a wider span would be missed.</summary>
    public static readonly TimeSpan Width = TimeSpan.FromMinutes(1);

    /// <summary>The most entries a span holds (its row stays within a page).</summary>
    public const int MaxEntries = 256;

    /// <summary>Appends one entry at <paramref name="offset"/> of <paramref name="into"/> (at least 20 bytes free); returns
    /// the new length.</summary>
    public static int Append(byte[] into, int offset, long positionStep, long ticksStep, int kind)
    {
        offset = Write7(into, offset, ((ulong)positionStep << 1) | (uint)(kind & 1));
        return Write7(into, offset, (ulong)((ticksStep << 1) ^ (ticksStep >> 63)));
    }

    /// <summary>Decodes a span's entries into <paramref name="into"/>. Throws <see cref="InvalidDataException"/> on bytes
    /// no span has.</summary>
    public static void Decode(ReadOnlySpan<byte> data, long firstPosition, long minTicks, List<SpanEntry> into)
    {
        long position = firstPosition, ticks = minTicks;
        int p = 0, n = 0;
        while (p < data.Length)
        {
            if (++n > MaxEntries) throw new InvalidDataException($"more than {MaxEntries} entries in a span");
            ulong step = (ulong)RecordingCodec.Read7(data, ref p);
            if (p >= data.Length) throw new InvalidDataException("span ends inside an entry");
            ulong zig = (ulong)RecordingCodec.Read7(data, ref p);
            position += (long)(step >> 1);
            ticks += (long)(zig >> 1) ^ -(long)(zig & 1);
            into.Add(new SpanEntry(position, ticks, (int)(step & 1)));
        }
    }

    private static int Write7(byte[] into, int offset, ulong value)
    {
        while (value > 0x7F)
        {
            into[offset++] = (byte)(value | 0x80);
            value >>= 7;
        }
        into[offset++] = (byte)value;
        return offset;
    }
}

/// <summary>An entry as a span indexes it: its position, its instant (UTC ticks) and its kind.</summary>
internal readonly record struct SpanEntry(long Position, long Ticks, int Kind);
