using System.Text;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Grains.Commands;

/// <summary>What a twin keeps of a command it refused at once: its value and arguments up to
/// <see cref="MaxKeptBytes"/> each, a larger one replaced by a note of its type and size. A refused command never
/// reaches a machine, so its full value serves nobody, while a stream of refused 10,000-element arrays would make
/// every later command of the twin slow to store (issue 15's finding: one twin's command list grew to 14.5 MB).</summary>
public static class RefusedPayload
{
    /// <summary>The largest value kept as it was (bytes as stored: 8 per number, UTF-8 for text).</summary>
    public const int MaxKeptBytes = 256;

    /// <summary><paramref name="envelope"/> with every value larger than <see cref="MaxKeptBytes"/> replaced by a note.</summary>
    public static CommandEnvelope Trim(CommandEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        bool argumentsTooLarge = false;
        foreach (var a in envelope.Arguments) argumentsTooLarge |= Size(a) > MaxKeptBytes;
        if (Size(envelope.Payload) <= MaxKeptBytes && !argumentsTooLarge) return envelope;
        return envelope with
        {
            Payload = Trim(envelope.Payload),
            Arguments = argumentsTooLarge ? [.. envelope.Arguments.Select(Trim)] : envelope.Arguments,
        };
    }

    /// <summary><paramref name="value"/>, or a string noting its type and size when it is larger than <see cref="MaxKeptBytes"/>.</summary>
    public static TagValue Trim(TagValue value)
    {
        long size = Size(value);
        if (size <= MaxKeptBytes) return value;
        string elements = value.DataType >= TagDataType.BooleanArray ? $" of {value.AsArray().Length} elements" : "";
        return TagValue.FromString($"(refused {value.DataType}{elements}, {size} bytes: not kept)");
    }

    /// <summary>The bytes a value takes as stored.</summary>
    public static long Size(TagValue value) => value.DataType switch
    {
        TagDataType.String => Encoding.UTF8.GetByteCount(value.AsString()),
        TagDataType.StringArray => ((string[])value.AsArray()).Sum(s => (long)Encoding.UTF8.GetByteCount(s) + 1),
        TagDataType.BooleanArray => value.AsArray().Length,
        TagDataType.IntegerArray or TagDataType.DoubleArray => value.AsArray().Length * 8L,
        _ => 8,
    };
}
