using System.Buffers;

namespace Imv.Gateways.Mqtt.Tests;

/// <summary>Builds a ReadOnlySequence split into several segments, as a pipe may deliver bytes.</summary>
public sealed class MultiSegment : ReadOnlySequenceSegment<byte>
{
    private MultiSegment(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static ReadOnlySequence<byte> Split(byte[] data, int parts)
    {
        if (data.Length < 2 || parts < 2) return new ReadOnlySequence<byte>(data);
        var size = Math.Max(1, data.Length / parts);
        var first = new MultiSegment(data.AsMemory(0, Math.Min(size, data.Length)), 0);
        var last = first;
        for (var offset = size; offset < data.Length; offset += size)
        {
            var next = new MultiSegment(data.AsMemory(offset, Math.Min(size, data.Length - offset)), offset);
            last.Next = next;
            last = next;
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
