using Imv.Runtime.Serialization;

namespace Imv.Runtime.Tests.Serialization;

/// <summary>Version tolerance of generated codecs: fields are identified by [Id], so a reader skips what it
/// does not know and defaults what is missing.</summary>
public sealed class GeneratedCodecVersionTests
{
    [GenerateSerializer]
    public sealed record MachineV1([property: Id(0)] string Name, [property: Id(1)] int Count);

    [GenerateSerializer]
    public sealed record MachineV2([property: Id(0)] string Name, [property: Id(1)] int Count,
        [property: Id(2)] double? Temperature, [property: Id(3)] List<string>? Tags, [property: Id(4)] MachineV1? Nested);

    private static byte[] Write<T, TCodec>(T value) where TCodec : IFieldCodec<T>
    {
        var writer = new CodecWriter();
        try { TCodec.WriteField(ref writer, 0, value); return writer.ToArray(); }
        finally { writer.Dispose(); }
    }

    private static T Read<T, TCodec>(byte[] bytes) where TCodec : IFieldCodec<T>
    {
        var reader = new CodecReader(bytes);
        var (_, wireType) = reader.ReadTag();
        var value = TCodec.ReadValue(ref reader, wireType);
        Assert.True(reader.End);
        return value;
    }

    [Fact]
    public void A_newer_writer_is_read_by_an_older_reader_skipping_added_fields()
    {
        var v2 = new MachineV2("press", 7, 81.5, ["a", "b"], new MachineV1("inner", 1));
        var bytes = Write<MachineV2, Imv.Generated.Codecs.Codec_Imv_Runtime_Tests_Serialization_GeneratedCodecVersionTests_MachineV2>(v2);
        var v1 = Read<MachineV1, Imv.Generated.Codecs.Codec_Imv_Runtime_Tests_Serialization_GeneratedCodecVersionTests_MachineV1>(bytes);
        Assert.Equal(new MachineV1("press", 7), v1);
    }

    [Fact]
    public void An_older_writer_is_read_by_a_newer_reader_defaulting_missing_fields()
    {
        var bytes = Write<MachineV1, Imv.Generated.Codecs.Codec_Imv_Runtime_Tests_Serialization_GeneratedCodecVersionTests_MachineV1>(new MachineV1("lathe", 3));
        var v2 = Read<MachineV2, Imv.Generated.Codecs.Codec_Imv_Runtime_Tests_Serialization_GeneratedCodecVersionTests_MachineV2>(bytes);
        Assert.Equal("lathe", v2.Name);
        Assert.Equal(3, v2.Count);
        Assert.Null(v2.Temperature);
        Assert.Null(v2.Tags);
        Assert.Null(v2.Nested);
    }

    [Fact]
    public void A_round_trip_keeps_every_field()
    {
        var v2 = new MachineV2("press", -7, null, [], null);
        var back = Read<MachineV2, Imv.Generated.Codecs.Codec_Imv_Runtime_Tests_Serialization_GeneratedCodecVersionTests_MachineV2>(
            Write<MachineV2, Imv.Generated.Codecs.Codec_Imv_Runtime_Tests_Serialization_GeneratedCodecVersionTests_MachineV2>(v2));
        Assert.Equal(v2.Name, back.Name);
        Assert.Equal(v2.Count, back.Count);
        Assert.Empty(back.Tags!);
    }
}
