using Imv.Gateways.OpcUa.Encoding;
using Xunit;

namespace Imv.OpcUa.Tests;

public sealed class EncodingTests
{
    private static byte[] Encode(Action<UaBinaryWriter> write)
    {
        using var w = new UaBinaryWriter(16);
        write(w);
        return w.WrittenSpan.ToArray();
    }

    [Theory]
    [InlineData("i=5", "00-05")]
    [InlineData("ns=1;i=300", "01-01-2C-01")]
    [InlineData("ns=300;i=5", "02-2C-01-05-00-00-00")]
    [InlineData("i=70000", "02-00-00-70-11-01-00")]
    [InlineData("ns=1;i=65535", "01-01-FF-FF")]
    [InlineData("i=4294967295", "02-00-00-FF-FF-FF-FF")]
    [InlineData("ns=2;s=Hi", "03-02-00-02-00-00-00-48-69")]
    [InlineData("ns=1;g=72962b91-fa75-4ae6-8d28-b404dc7daf63", "04-01-00-91-2B-96-72-75-FA-E6-4A-8D-28-B4-04-DC-7D-AF-63")]
    [InlineData("ns=3;b=AQID", "05-03-00-03-00-00-00-01-02-03")]
    public void Node_ids_use_the_most_compact_encoding_and_round_trip(string text, string hex)
    {
        var id = NodeId.Parse(text);
        var bytes = Encode(w => w.WriteNodeId(id));
        Assert.Equal(hex, BitConverter.ToString(bytes));
        var reader = new UaBinaryReader(bytes);
        Assert.Equal(id, reader.ReadNodeId());
        Assert.Equal(id, NodeId.Parse(id.ToString()));
    }

    [Fact]
    public void Expanded_node_ids_carry_namespace_uri_and_server_index()
    {
        var id = new ExpandedNodeId(new NodeId("x", 0), "urn:plc", 3);
        var bytes = Encode(w => w.WriteExpandedNodeId(id));
        Assert.Equal(0xC3, bytes[0]);
        var reader = new UaBinaryReader(bytes);
        Assert.Equal(id, reader.ReadExpandedNodeId());
        Assert.Equal("svr=3;nsu=urn:plc;s=x", id.ToString());
    }

    [Fact]
    public void Every_built_in_type_round_trips_as_scalar_array_and_matrix()
    {
        object[] scalars =
        [
            true, (sbyte)-1, (byte)2, (short)-3, (ushort)4, -5, 6u, -7L, ulong.MaxValue, 1.5f, 2.5, "s ✓",
            new DateTime(2024, 2, 29, 12, 0, 0, DateTimeKind.Utc), Guid.NewGuid(), new byte[] { 1, 2 }, new XmlElementText("<a/>"),
            new NodeId(7), new ExpandedNodeId(new NodeId("e", 2)), new StatusCode(StatusCode.BadTimeout), new QualifiedName(3, "q"),
            new LocalizedText("en", "t"), new ExtensionObject(new NodeId(5001, 2), 1, [9, 8, 7]),
            new DataValue(Variant.From(4.0)) { StatusCode = StatusCode.Uncertain, SourceTimestamp = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc) },
            new DiagnosticInfo { SymbolicId = 1, AdditionalInfo = "d", Inner = new DiagnosticInfo { LocalizedText = 2 } },
        ];
        foreach (var scalar in scalars)
        {
            var v = Variant.From(scalar);
            var decoded = RoundTrip(v);
            if (scalar is DiagnosticInfo d) Assert.Equal(d.AdditionalInfo, ((DiagnosticInfo)decoded.Value!).AdditionalInfo);
            else Assert.Equal(v, decoded);
        }
        Assert.Equal(Variant.From(new[] { 1.0, 2.0 }), RoundTrip(Variant.From(new[] { 1.0, 2.0 })));
        Assert.Equal(Variant.From(new[] { new LocalizedText(null, "a") }), RoundTrip(Variant.From(new[] { new LocalizedText(null, "a") })));
        var nested = Variant.From(new[] { Variant.From(1), Variant.From("two"), Variant.From(new[] { 3L }) });
        Assert.Equal(nested, RoundTrip(nested));
        var matrix = Variant.FromArray(BuiltInType.String, new[] { "a", "b", "c", "d", "e", "f" }, [3, 2]);
        var back = RoundTrip(matrix);
        Assert.Equal([3, 2], back.Dimensions!);
        Assert.Equal(matrix, back);
        Assert.True(RoundTrip(Variant.Null).IsNull);
    }

    private static Variant RoundTrip(Variant v)
    {
        var bytes = Encode(w => w.WriteVariant(v));
        var reader = new UaBinaryReader(bytes);
        var decoded = reader.ReadVariant();
        Assert.Equal(0, reader.Remaining);
        return decoded;
    }

    [Fact]
    public void Date_times_clamp_at_the_ends_of_the_range()
    {
        Assert.Equal(0, BitConverter.ToInt64(Encode(w => w.WriteDateTime(DateTime.MinValue))));
        Assert.Equal(long.MaxValue, BitConverter.ToInt64(Encode(w => w.WriteDateTime(DateTime.MaxValue))));
        var reader = new UaBinaryReader(Encode(w => w.WriteInt64(-5)));
        Assert.Equal(DateTime.MinValue, reader.ReadDateTime());
    }

    [Fact]
    public void Status_codes_are_shown_by_name()
    {
        Assert.Equal("BadNodeIdUnknown", new StatusCode(0x80340000).ToString());
        Assert.Equal("BadTypeMismatch", StatusCode.NameOf(0x80740000));
        Assert.Equal("Good", StatusCode.NameOf(0));
        Assert.Equal("UncertainLastUsableValue", StatusCode.NameOf(0x40900000));
        Assert.Equal("BadNodeIdUnknown", StatusCode.NameOf(0x80340400)); // info bits do not change the name
        Assert.Equal("0x81230000", StatusCode.NameOf(0x81230000));
    }

    [Fact]
    public void Limits_are_enforced_before_allocating()
    {
        var huge = Encode(w => { w.WriteByte(0x80 | 11); w.WriteInt32(int.MaxValue); });
        var error = Assert.Throws<UaDecodingException>(() => { var r = new UaBinaryReader(huge); r.ReadVariant(); });
        Assert.Equal(StatusCode.BadEncodingLimitsExceeded, error.Status);
        var longString = Encode(w => w.WriteInt32(1000));
        Assert.Throws<UaDecodingException>(() => { var r = new UaBinaryReader(longString, maxStringLength: 100); r.ReadString(); });
        // A DataValue holding a Variant holding a DataValue ... deeper than the limit.
        var nested = Encode(w => { for (var i = 0; i < 100; i++) { w.WriteByte(23); w.WriteByte(1); } });
        var depth = Assert.Throws<UaDecodingException>(() => { var r = new UaBinaryReader(nested); r.ReadVariant(); });
        Assert.Equal(StatusCode.BadEncodingLimitsExceeded, depth.Status);
        Assert.Throws<UaDecodingException>(() => { var r = new UaBinaryReader([0x3F]); r.ReadVariant(); });
    }
}
