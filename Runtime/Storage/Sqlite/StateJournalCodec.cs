using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Imv.Runtime.Storage.Sqlite;

/// <summary>One grain state record in the write-behind journal: the full new state of one grain (or its
/// tombstone) with the version and fencing epoch it was acknowledged with.</summary>
/// <param name="StateName">The state name.</param>
/// <param name="GrainId">The grain.</param>
/// <param name="Data">The encoded state; null for a tombstone (a clear).</param>
/// <param name="ETag">The record's version after this write.</param>
/// <param name="Epoch">The writer's fencing epoch.</param>
internal readonly record struct StateJournalRecord(string StateName, GrainId GrainId, byte[]? Data, long ETag, long Epoch);

/// <summary>The byte layout of a journal frame's payload: records back to back, each
/// <c>[u8 kind: 1 state, 2 tombstone][i32 len + UTF-8 state name][i32 len + UTF-8 grain type][i32 len + UTF-8 grain key][i64 etag][i64 epoch]</c>
/// followed, for a state, by <c>[i32 len][data]</c>. Little-endian. The frame header says how many records it
/// holds, so a truncated or padded payload is detected.</summary>
internal static class StateJournalCodec
{
    private const byte StateKind = 1;
    private const byte TombstoneKind = 2;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Appends one record.</summary>
    public static void Write(IBufferWriter<byte> output, string stateName, GrainId grainId, ReadOnlySpan<byte> data, bool tombstone, long etag, long epoch)
    {
        int size = 1 + 12 + StrictUtf8.GetByteCount(stateName) + StrictUtf8.GetByteCount(grainId.Type) + StrictUtf8.GetByteCount(grainId.Key) + 16
                   + (tombstone ? 0 : 4 + data.Length);
        var span = output.GetSpan(size);
        int at = 0;
        span[at++] = tombstone ? TombstoneKind : StateKind;
        at += WriteString(span[at..], stateName);
        at += WriteString(span[at..], grainId.Type);
        at += WriteString(span[at..], grainId.Key);
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], etag);
        BinaryPrimitives.WriteInt64LittleEndian(span[(at + 8)..], epoch);
        at += 16;
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
    public static List<StateJournalRecord> Read(ReadOnlySpan<byte> row, long expectedCount)
    {
        var records = new List<StateJournalRecord>((int)Math.Clamp(expectedCount, 0, 100_000));
        int at = 0;
        try
        {
            while (at < row.Length)
            {
                byte kind = row[at++];
                if (kind is not (StateKind or TombstoneKind)) throw Invalid(at - 1, $"unknown record kind {kind}");
                string stateName = ReadString(row, ref at);
                string type = ReadString(row, ref at);
                string key = ReadString(row, ref at);
                long etag = BinaryPrimitives.ReadInt64LittleEndian(row[at..]);
                long epoch = BinaryPrimitives.ReadInt64LittleEndian(row[(at + 8)..]);
                at += 16;
                if (etag < 1) throw Invalid(at - 16, $"etag {etag} is not a version");
                byte[]? data = null;
                if (kind == StateKind)
                {
                    int length = BinaryPrimitives.ReadInt32LittleEndian(row[at..]);
                    at += 4;
                    if (length < 0 || length > row.Length - at) throw Invalid(at - 4, $"data length {length} exceeds the payload");
                    data = row.Slice(at, length).ToArray();
                    at += length;
                }
                records.Add(new StateJournalRecord(stateName, new GrainId(type, key), data, etag, epoch));
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

    private static string ReadString(ReadOnlySpan<byte> row, ref int at)
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(row[at..]);
        if (length < 0 || length > row.Length - at - 4) throw Invalid(at, $"string length {length} exceeds the payload");
        try
        {
            string value = StrictUtf8.GetString(row.Slice(at + 4, length));
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
