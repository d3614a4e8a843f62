using System.Buffers;
using System.Text;

namespace Imv.Grains.TwinIndex;

/// <summary>The stored form of a twin status index shard (<see cref="TwinIndexState.Packed"/>), written by
/// <see cref="TwinStatusIndexBook.Pack"/>: a version byte, the shard's places (organization, gateway), then one row per
/// twin in id order: id, place number, kind, state, alarms, the report time as a difference from the previous row's
/// (UTC ticks) and the stale instant as a difference from the report time. Numbers are LEB128 varints (signed ones
/// zigzagged), strings a varint of their UTF-8 length + 1 (0: null) and the bytes. About 35 bytes per twin against
/// about 70 for the entries serialized one by one: the shard's state waits in the write-behind cache between
/// checkpoints, so its size is memory too.</summary>
public static class TwinIndexCodec
{
    /// <summary>The layout written.</summary>
    public const byte Version = 1;

    /// <summary>Maps a signed number to an unsigned one with small magnitudes small.</summary>
    public static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    /// <summary>The inverse of <see cref="ZigZag"/>.</summary>
    public static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    /// <summary>Writes the stored form.</summary>
    public sealed class Writer
    {
        private readonly ArrayBufferWriter<byte> _buffer;

        /// <summary>A writer sized for about <paramref name="rows"/> rows.</summary>
        public Writer(int rows)
        {
            _buffer = new ArrayBufferWriter<byte>(Math.Max(64, rows * 40));
            WriteByte(Version);
        }

        /// <summary>Writes one byte.</summary>
        public void WriteByte(byte value)
        {
            _buffer.GetSpan(1)[0] = value;
            _buffer.Advance(1);
        }

        /// <summary>Writes an unsigned varint.</summary>
        public void WriteUnsigned(ulong value)
        {
            var span = _buffer.GetSpan(10);
            int n = 0;
            while (value >= 0x80)
            {
                span[n++] = (byte)(value | 0x80);
                value >>= 7;
            }
            span[n++] = (byte)value;
            _buffer.Advance(n);
        }

        /// <summary>Writes a count or a number (never negative).</summary>
        public void WriteCount(int value) => WriteUnsigned((ulong)checked((uint)value));

        /// <summary>Writes a signed varint (zigzagged).</summary>
        public void WriteSigned(long value) => WriteUnsigned(ZigZag(value));

        /// <summary>Writes a string or null.</summary>
        public void WriteString(string? value)
        {
            if (value is null)
            {
                WriteUnsigned(0);
                return;
            }
            int length = Encoding.UTF8.GetByteCount(value);
            WriteUnsigned((ulong)length + 1);
            Encoding.UTF8.GetBytes(value, _buffer.GetSpan(length));
            _buffer.Advance(length);
        }

        /// <summary>What was written.</summary>
        public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads the stored form; whatever does not fit throws <see cref="InvalidDataException"/> with the position.</summary>
    public sealed class Reader
    {
        private readonly byte[] _data;
        private int _position;

        /// <summary>A reader over a stored form; checks its version.</summary>
        public Reader(byte[] data)
        {
            _data = data;
            byte version = ReadByte();
            if (version != Version) throw Damaged($"layout {version} is not known (this version reads layout {Version})");
        }

        /// <summary>Reads one byte.</summary>
        public byte ReadByte() => _position < _data.Length ? _data[_position++] : throw Damaged("it ends early");

        /// <summary>Reads an unsigned varint.</summary>
        public ulong ReadUnsigned()
        {
            ulong value = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                byte b = ReadByte();
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return value;
            }
            throw Damaged("a number runs over 64 bits");
        }

        /// <summary>Reads a count or a number written by <see cref="Writer.WriteCount"/>.</summary>
        public int ReadCount()
        {
            ulong value = ReadUnsigned();
            return value <= (ulong)(_data.Length * 8L + 1024) && value <= int.MaxValue ? (int)value : throw Damaged($"a count of {value} is too large");
        }

        /// <summary>Reads a signed varint.</summary>
        public long ReadSigned() => UnZigZag(ReadUnsigned());

        /// <summary>Reads a string or null.</summary>
        public string? ReadString()
        {
            ulong n = ReadUnsigned();
            if (n == 0) return null;
            ulong length = n - 1;
            if (length > (ulong)(_data.Length - _position)) throw Damaged($"a string of {length} bytes runs past the end");
            var value = Encoding.UTF8.GetString(_data, _position, (int)length);
            _position += (int)length;
            return value;
        }

        /// <summary>Checks that everything was read.</summary>
        public void End()
        {
            if (_position != _data.Length) throw Damaged($"{_data.Length - _position} bytes follow the last twin");
        }

        /// <summary>The error for a damaged form, with the position.</summary>
        public InvalidDataException Damaged(string what) =>
            new($"The stored twin index shard is damaged at byte {_position} of {_data.Length}: {what}.");
    }
}
