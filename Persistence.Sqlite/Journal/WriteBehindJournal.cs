using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Imv.Persistence.Sqlite;

/// <summary>The append-only journal of write-behind: segment files next to the database
/// (<c>&lt;database&gt;-wb-00000001.journal</c>, ...), each a sequence of frames, one frame per group commit:
/// <c>[u32 magic "IMO1"][i32 payload length][i32 record count][u32 CRC-32C of the payload][payload]</c>, the payload
/// in <see cref="StateJournalCodec"/> layout. A frame is appended with one positioned write (and synced when the
/// storage is <see cref="SqliteSynchronousMode.Full"/>) before its writes are acknowledged. A checkpoint rotates to
/// a new segment and deletes the old ones once their records are in <c>grain_state</c>.</summary>
internal sealed class WriteBehindJournal : IDisposable
{
    private const uint Magic = 0x314F4D49; // "IMO1" little-endian
    private const uint OldRuntimeMagic = 0x4A564D49; // "IMVJ": the old Imv runtime's journal, another record layout
    private const int HeaderSize = 16;

    private readonly string _databasePath;
    private readonly bool _syncEachFrame;
    private FileStream _segment;
    private long _length;
    private byte[] _frame = new byte[64 * 1024];
    private Exception? _broken;

    /// <summary>Starts a new segment after <paramref name="lastSegment"/> (the highest existing one, 0 for none).</summary>
    public WriteBehindJournal(string databasePath, bool syncEachFrame, int lastSegment)
    {
        _databasePath = databasePath;
        _syncEachFrame = syncEachFrame;
        Segment = lastSegment + 1;
        _segment = OpenSegment(Segment);
    }

    /// <summary>The number of the segment frames are appended to.</summary>
    public int Segment { get; private set; }

    /// <summary>Bytes in the current segment.</summary>
    public long Length => _length;

    /// <summary>Appends one frame holding <paramref name="count"/> records. Throws <see cref="IOException"/> when
    /// the write fails; the segment is cut back to its length before the frame, so a failed frame leaves nothing.</summary>
    public void Append(ReadOnlySpan<byte> payload, int count)
    {
        if (_broken is not null)
            throw new IOException($"The write-behind journal of '{_databasePath}' is unusable since an earlier write failed: {_broken.Message}", _broken);
        int size = HeaderSize + payload.Length;
        if (_frame.Length < size) _frame = new byte[Math.Max(size, _frame.Length * 2)];
        var frame = _frame.AsSpan(0, size);
        BinaryPrimitives.WriteUInt32LittleEndian(frame, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(frame[4..], payload.Length);
        BinaryPrimitives.WriteInt32LittleEndian(frame[8..], count);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[12..], Crc32C(payload));
        payload.CopyTo(frame[HeaderSize..]);
        try
        {
            RandomAccess.Write(_segment.SafeFileHandle, frame, _length);
            if (_syncEachFrame) _segment.Flush(flushToDisk: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                _segment.SetLength(_length);
            }
            catch (Exception cut) when (cut is IOException or UnauthorizedAccessException)
            {
                _broken = cut;
            }
            throw;
        }
        _length += size;
    }

    /// <summary>Closes the current segment and starts the next; returns the closed segment's number.</summary>
    public int Rotate()
    {
        var next = OpenSegment(Segment + 1);
        _segment.Dispose();
        _segment = next;
        _length = 0;
        return Segment++;
    }

    /// <summary>Deletes the segments numbered up to <paramref name="segment"/> (their records are in grain_state).</summary>
    public void DeleteThrough(int segment)
    {
        foreach (var (number, path) in Segments(_databasePath))
            if (number <= segment) File.Delete(path);
    }

    /// <summary>Closes the current segment, deleting it when <paramref name="deleteIfEmpty"/> and it holds nothing.</summary>
    public void Close(bool deleteIfEmpty)
    {
        string path = _segment.Name;
        _segment.Dispose();
        if (deleteIfEmpty && _length == 0) File.Delete(path);
    }

    /// <inheritdoc />
    public void Dispose() => _segment.Dispose();

    /// <summary>The segment files of a database, in order.</summary>
    public static List<(int Number, string Path)> Segments(string databasePath)
    {
        string directory = Path.GetDirectoryName(databasePath)!;
        string prefix = Path.GetFileName(databasePath) + "-wb-";
        var segments = new List<(int, string)>();
        foreach (var path in Directory.EnumerateFiles(directory, prefix + "*.journal"))
        {
            string name = Path.GetFileName(path);
            string digits = name[prefix.Length..^".journal".Length];
            if (int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int number)) segments.Add((number, path));
        }
        segments.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return segments;
    }

    /// <summary>Reads every record of every segment, in order. A frame cut short at the very end of the last
    /// segment is a write that never completed (it was never acknowledged) and is skipped, reported through
    /// <paramref name="tornTail"/>; any other damage throws <see cref="InvalidDataException"/> naming the file and
    /// offset, and the files are left as they are.</summary>
    public static IEnumerable<StateJournalRecord> ReadAll(List<(int Number, string Path)> segments, Action<string, long> tornTail)
    {
        for (int s = 0; s < segments.Count; s++)
        {
            var (_, path) = segments[s];
            foreach (var record in ReadSegment(File.ReadAllBytes(path), path, last: s == segments.Count - 1, tornTail)) yield return record;
        }
    }

    /// <summary>The records of one segment's bytes; see <see cref="ReadAll"/>.</summary>
    public static List<StateJournalRecord> ReadSegment(byte[] bytes, string path, bool last, Action<string, long> tornTail)
    {
        var records = new List<StateJournalRecord>();
        long offset = 0;
        while (offset < bytes.Length)
        {
            var rest = bytes.AsSpan((int)offset);
            string? damage = null;
            bool endsInside = false;
            if (rest.Length < HeaderSize) (damage, endsInside) = ("the file ends inside a frame header", true);
            else if (offset == 0 && BinaryPrimitives.ReadUInt32LittleEndian(rest) == OldRuntimeMagic)
                throw new InvalidDataException(
                    $"Write-behind journal '{path}' was written by the old Imv runtime (frame magic \"IMVJ\"); its records cannot be " +
                    "decoded here. Move it aside together with its database file; the silo then starts with empty grain state.");
            else if (BinaryPrimitives.ReadUInt32LittleEndian(rest) != Magic) damage = "no frame starts here";
            else
            {
                int length = BinaryPrimitives.ReadInt32LittleEndian(rest[4..]);
                if (length < 0) damage = $"frame length {length}";
                else if (length > rest.Length - HeaderSize) (damage, endsInside) = ("the file ends inside a frame", true);
                else if (BinaryPrimitives.ReadUInt32LittleEndian(rest[12..]) != Crc32C(rest.Slice(HeaderSize, length))) damage = "the frame's checksum does not match";
            }
            if (damage is not null)
            {
                if (last && endsInside)
                {
                    tornTail(path, offset);
                    break;
                }
                throw new InvalidDataException(
                    $"Write-behind journal '{path}' is damaged at byte {offset}: {damage}. The journal files are left as they are; " +
                    "restore them, or move them away to open the database without them (losing their acknowledged writes).");
            }
            int payloadLength = BinaryPrimitives.ReadInt32LittleEndian(rest[4..]);
            int count = BinaryPrimitives.ReadInt32LittleEndian(rest[8..]);
            try
            {
                records.AddRange(StateJournalCodec.Read(rest.Slice(HeaderSize, payloadLength), count));
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"Write-behind journal '{path}', frame at byte {offset}: {e.Message}", e);
            }
            offset += HeaderSize + payloadLength;
        }
        return records;
    }

    private FileStream OpenSegment(int number)
    {
        string path = $"{_databasePath}-wb-{number.ToString("D8", CultureInfo.InvariantCulture)}.journal";
        var segment = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
        if (_syncEachFrame)
        {
            // Frames synced into a file whose directory entry is not durable could vanish with it on a power loss.
            try
            {
                DirectorySync.Flush(Path.GetDirectoryName(path)!);
            }
            catch
            {
                segment.Dispose();
                throw;
            }
        }
        return segment;
    }

    private static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (ulong word in words) crc = BitOperations.Crc32C(crc, word);
        foreach (byte b in data[(words.Length * 8)..]) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }
}
