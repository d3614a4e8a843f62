using Imv.Runtime.Messaging;

namespace Imv.Runtime.Serialization;

/// <summary>The codec of <see cref="Unit"/>: writes nothing.</summary>
public sealed class UnitCodec : IFieldCodec<Unit>
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, Unit value) { }

    /// <inheritdoc />
    public static Unit ReadValue(ref CodecReader reader, WireType wireType)
    {
        reader.SkipField(wireType);
        return default;
    }
}
