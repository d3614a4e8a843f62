using System.Buffers.Binary;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Persistence.Recording;

/// <summary>Walks the readings of a readings entry of any version (<see cref="RecordingCodec"/>) without decoding
/// what is not asked for: each <see cref="Next"/> gives a reading's name (UTF-8), quality, source time and sequence and
/// where its value is; <see cref="Value"/> decodes the value. Throws <see cref="InvalidDataException"/> on bytes no
/// entry has.</summary>
internal ref struct ReadingCursor
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly byte _version;
    private readonly TagSchema? _schema;
    private int _p;
    private long _left;

    /// <summary>A cursor over <paramref name="data"/>, an entry accepted at <paramref name="atTicks"/> (versions 2 and 3
    /// count source times from it); the names of version 3 are looked up in <paramref name="schemas"/>.</summary>
    public ReadingCursor(ReadOnlySpan<byte> data, long atTicks, TagSchemas? schemas)
    {
        _data = data;
        if (data.Length == 0 || data[0] is not (RecordingCodec.Version or RecordingCodec.ReadingsVersion or RecordingCodec.IndexedReadingsVersion))
            throw new InvalidDataException($"unknown entry version {(data.Length == 0 ? -1 : data[0])}");
        _version = data[0];
        _p = 1;
        if (_version == RecordingCodec.IndexedReadingsVersion)
        {
            if (data.Length < 17) throw new InvalidDataException("entry ends inside its tag schema's id");
            var id = TagSchema.ReadId(data.Slice(1, 16));
            _schema = schemas is not null ? schemas.Get(id) : throw new InvalidDataException($"the entry names tag schema {TagSchema.Format(id)}, and no schemas were given to read it");
            _p = 17;
        }
        Count = RecordingCodec.Read7(data, ref _p);
        if (Count < 0 || Count > 1_000_000) throw new InvalidDataException($"implausible reading count {Count}");
        _left = Count;
        SourceTicks = atTicks;
    }

    /// <summary>Readings in the entry.</summary>
    public long Count { get; }

    /// <summary>The current reading's name, UTF-8.</summary>
    public ReadOnlySpan<byte> Name { get; private set; }

    /// <summary>The current reading's name as a string when the entry has it made (version 3: its schema's); else null.</summary>
    public string? NameString { get; private set; }

    /// <summary>The current reading's quality.</summary>
    public TagQuality Quality { get; private set; }

    /// <summary>The current reading's source time (UTC ticks).</summary>
    public long SourceTicks { get; private set; }

    /// <summary>The current reading's sequence number.</summary>
    public long Sequence { get; private set; }

    /// <summary>The current reading's value type.</summary>
    public TagDataType Type { get; private set; }

    private int _valueStart;

    /// <summary>Moves to the next reading; false after the last (the entry must end there).</summary>
    public bool Next()
    {
        if (_left == 0)
        {
            if (_p != _data.Length) throw new InvalidDataException($"{_data.Length - _p} bytes after the last reading");
            return false;
        }
        _left--;
        if (_schema is not null)
        {
            long index = RecordingCodec.Read7(_data, ref _p);
            if ((ulong)index >= (ulong)_schema.Count) throw new InvalidDataException($"tag index {index} is outside its schema of {_schema.Count} names");
            if (_p >= _data.Length) throw new InvalidDataException("entry ends inside a reading");
            Name = _schema.Utf8[index];
            NameString = _schema.Names[index];
        }
        else
        {
            int length = checked((int)RecordingCodec.Read7(_data, ref _p));
            if (length < 0 || _p + length + 1 > _data.Length) throw new InvalidDataException("entry ends inside a reading");
            Name = _data.Slice(_p, length);
            _p += length;
        }
        if (_version == RecordingCodec.Version)
        {
            Quality = (TagQuality)_data[_p++];
            if (_p + 8 > _data.Length) throw new InvalidDataException("entry ends inside a reading");
            SourceTicks = BinaryPrimitives.ReadInt64LittleEndian(_data.Slice(_p, 8));
            _p += 8;
            Sequence = RecordingCodec.Read7(_data, ref _p);
            if (_p >= _data.Length) throw new InvalidDataException("entry ends before a value");
            Type = (TagDataType)_data[_p++];
        }
        else
        {
            // Versions 2 and 3: type and quality in one byte; version 3 writes a step only when its flag says so.
            int head = _data[_p++];
            bool indexed = _schema is not null;
            Type = (TagDataType)(head & 0x0F);
            Quality = (TagQuality)(indexed ? (head >> 4) & 0x03 : head >> 4);
            if (!indexed || (head & RecordingCodec.TimeStepFlag) != 0) SourceTicks += Unzig(RecordingCodec.Read7(_data, ref _p));
            if (!indexed || (head & RecordingCodec.SequenceStepFlag) != 0) Sequence += Unzig(RecordingCodec.Read7(_data, ref _p));
        }
        _valueStart = _p;
        RecordingCodec.SkipValue(_data, Type, ref _p);
        return true;
    }

    /// <summary>The current reading's value when it is a boolean, integer or double, as its bits (a boolean 0 or 1, an
    /// integer itself, a double's IEEE bits), read without making a <see cref="TagValue"/>; false for other types.</summary>
    public readonly bool TryScalar(out long bits)
    {
        switch (Type)
        {
            case TagDataType.Double or TagDataType.Integer: bits = BinaryPrimitives.ReadInt64LittleEndian(_data.Slice(_valueStart, 8)); return true;
            case TagDataType.Boolean: bits = _data[_valueStart] != 0 ? 1 : 0; return true;
            default: bits = 0; return false;
        }
    }

    /// <summary>The current reading's value.</summary>
    public readonly TagValue Value()
    {
        int p = _valueStart;
        return RecordingCodec.ReadPayload(_data, Type, ref p);
    }

    private static long Unzig(long zig) => (long)((ulong)zig >> 1) ^ -(zig & 1);
}
