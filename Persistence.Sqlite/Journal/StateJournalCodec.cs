using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Imv.Persistence.Sqlite;

/// <summary>The byte layout of a journal frame's payload: records back to back, each
/// <c>[u8 kind: 1 state, 2 tombstone][i32 len + UTF-8 state name][i32 len + UTF-8 grain id][i64 etag]</c>
/// followed, for a state, by <c>[i32 len][data]</c>. Little-endian. The frame header says how many records it
/// holds, so a truncated or padded payload is detected.</summary>
internal static class StateJournalCodec
{
    private const byte StateKind = 1;
    private const byte TombstoneKind = 2;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Appends one record.</summary>
    public static void Write(IBufferWriter<byte> output, string stateName, string grainId, ReadOnlySpan<byte> data, bool tombstone, long etag)
    {
        int size = 1 + 8 + StrictUtf8.GetByteCount(stateName) + StrictUtf8.GetByteCount(grainId) + 8 + (tombstone ? 0 : 4 + data.Length);
        var span = output.GetSpan(size);
        int at = 0;
        span[at++] = tombstone ? TombstoneKind : StateKind;
        at += WriteString(span[at..], stateName);
        at += WriteString(span[at..], grainId);
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], etag);
        at += 8;
        if (!tombstone)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], data.Length);
            data.CopyTo(span[(at + 4)..]);
            at += 4 + data.Length;
        }
        output.Advance(at);
    }

    /// <summary>Decodes a frame's payload of <paramref name="expectedCount"/> records. Throws <see cref="InvalidDataException"/>
    /// naming the offset when the bytes do not hold exactly that.</summary>
    public static List<StateJournalRecord> Read(ReadOnlySpan<byte> payload, long expectedCount)
    {
        var records = new List<StateJournalRecord>((int)Math.Clamp(expectedCount, 0, 100_000));
        int at = 0;
        try
        {
            while (at < payload.Length)
            {
                byte kind = payload[at++];
                if (kind is not (StateKind or TombstoneKind)) throw Invalid(at - 1, $"unknown record kind {kind}");
                string stateName = ReadString(payload, ref at);
                string grainId = ReadString(payload, ref at);
                long etag = BinaryPrimitives.ReadInt64LittleEndian(payload[at..]);
                at += 8;
                if (etag < 1) throw Invalid(at - 8, $"etag {etag} is not a version");
                byte[]? data = null;
                if (kind == StateKind)
                {
                    int length = BinaryPrimitives.ReadInt32LittleEndian(payload[at..]);
                    at += 4;
                    if (length < 0 || length > payload.Length - at) throw Invalid(at - 4, $"data length {length} exceeds the payload");
                    data = payload.Slice(at, length).ToArray();
                    at += length;
                }
                records.Add(new StateJournalRecord(stateName, grainId, data, etag));
            }
        }
        catch (ArgumentOutOfRangeException)
        {
            throw Invalid(at, "the payload ends inside a record");
        }
        if (records.Count != expectedCount) throw Invalid(at, $"it holds {records.Count} records, its count says {expectedCount}");
        return records;
    }

    private static int WriteString(Span<byte> span, string value)
    {
        int length = StrictUtf8.GetBytes(value, span[4..]);
        BinaryPrimitives.WriteInt32LittleEndian(span, length);
        return 4 + length;
    }

    private static string ReadString(ReadOnlySpan<byte> payload, ref int at)
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(payload[at..]);
        if (length < 0 || length > payload.Length - at - 4) throw Invalid(at, $"string length {length} exceeds the payload");
        try
        {
            string value = StrictUtf8.GetString(payload.Slice(at + 4, length));
            at += 4 + length;
            return value;
        }
        catch (DecoderFallbackException)
        {
            throw Invalid(at, "a string is not valid UTF-8");
        }
    }

    private static InvalidDataException Invalid(int offset, string problem) =>
        new($"record data invalid at byte {offset} of the payload: {problem}.");
}
