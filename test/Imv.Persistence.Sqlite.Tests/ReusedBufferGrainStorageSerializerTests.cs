using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;

namespace Imv.Persistence.Sqlite.Tests;

/// <summary>The storage's default serializer writes Orleans' bytes, so files stay readable by either serializer.</summary>
public sealed class ReusedBufferGrainStorageSerializerTests
{
    private static readonly Serializer Serializer = new ServiceCollection()
        .AddSerializer(b => b.AddAssembly(typeof(CounterState).Assembly)).BuildServiceProvider().GetRequiredService<Serializer>();

    [Fact]
    public void It_writes_the_bytes_of_Orleans_serializer_and_each_result_is_an_array_of_its_own()
    {
        var orleans = new OrleansGrainStorageSerializer(Serializer);
        var reused = new ReusedBufferGrainStorageSerializer(Serializer);
        var results = new List<byte[]>();
        // Small and large states in turn: the reused buffer grows, is reset and must never leak bytes of a larger state.
        foreach (var note in new[] { "a", new string('x', 200_000), "b", new string('y', 3_000_000), "c" })
        {
            var state = new CounterState { Value = note.Length, Note = note };
            var expected = orleans.Serialize(state).ToArray();
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(reused.Serialize(state).ToMemory(), out var segment));
            var actual = segment.Array!;
            Assert.Equal(actual.Length, segment.Count);   // exactly the state's bytes: the storage keeps the array as is
            Assert.Equal(expected, actual);
            var back = orleans.Deserialize<CounterState>(new BinaryData(actual))!;
            Assert.Equal(note, back.Note);
            Assert.Equal(note, reused.Deserialize<CounterState>(orleans.Serialize(state))!.Note);
            results.Add(actual);
        }
        Assert.Equal(results.Count, results.Distinct(ReferenceEqualityComparer.Instance).Count());
        Assert.True(ReusedBufferGrainStorageSerializer.GivesOwnedArrays(reused));
        Assert.False(ReusedBufferGrainStorageSerializer.GivesOwnedArrays(orleans));
    }
}
