using System.Buffers;
using Orleans.Serialization;
using Orleans.Storage;

namespace Imv.Persistence.Sqlite;

/// <summary>The storage's default serializer: Orleans' binary serializer writing the same bytes as
/// <see cref="OrleansGrainStorageSerializer"/> (files written by either read with either), through a buffer each thread
/// reuses. Orleans' own grows a new buffer from empty for every write (a state of 100 KB allocated about twice its size
/// in discarded buffers per write); this one allocates only the result, of exactly the state's size, which the storage
/// then keeps as the record's bytes without copying it again.</summary>
internal sealed class ReusedBufferGrainStorageSerializer(Serializer serializer) : IGrainStorageSerializer
{
    // A buffer that grew beyond this for one large state is dropped after it, not kept by the thread for ever.
    private const int KeptCapacity = 1 << 20;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    /// <inheritdoc />
    public BinaryData Serialize<T>(T? input)
    {
        var buffer = t_buffer ?? new ArrayBufferWriter<byte>(4096);
        t_buffer = null;   // a nested Serialize on this thread (a codec calling back) gets a buffer of its own
        try
        {
            serializer.Serialize(input, buffer);
            return new BinaryData(buffer.WrittenSpan.ToArray());
        }
        finally
        {
            buffer.ResetWrittenCount();
            if (buffer.Capacity <= KeptCapacity) t_buffer = buffer;
        }
    }

    /// <inheritdoc />
    public T? Deserialize<T>(BinaryData input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return serializer.Deserialize<T>(input.ToMemory());
    }

    /// <summary>Whether <paramref name="serializer"/> returns arrays of its own that nothing else holds (so the storage
    /// may keep them).</summary>
    public static bool GivesOwnedArrays(IGrainStorageSerializer serializer) => serializer is ReusedBufferGrainStorageSerializer;
}
