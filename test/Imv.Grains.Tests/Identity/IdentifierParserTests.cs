using Imv.Grains.Interfaces.Identity;
using Xunit;

namespace Imv.Grains.Tests.Identity;

public sealed class IdentifierParserTests
{
    [Theory]
    [InlineData("88.100.1/press-01", IdentifierKind.Handle, "88.100.1/press-01")]
    [InlineData("88.100.1/PRESS-01", IdentifierKind.Handle, "88.100.1/press-01")]
    [InlineData(" 20.500.12345/a:b;c ", IdentifierKind.Handle, "20.500.12345/a:b;c")]
    [InlineData("did:imv:org:factory-1", IdentifierKind.Did, "did:imv:org:factory-1")]
    [InlineData("DID:IMV:Abc%20def", IdentifierKind.Did, "did:imv:Abc%20def")]
    [InlineData("did:web:example.com", IdentifierKind.Did, "did:web:example.com")]
    [InlineData("rfid:3034f87c0b8d3c4000000001", IdentifierKind.RfidEpc, "rfid:3034F87C0B8D3C4000000001")]
    [InlineData("urn:epc:id:sgtin:0614141.107346.2017", IdentifierKind.RfidEpc, "urn:epc:id:sgtin:0614141.107346.2017")]
    [InlineData("emp:e-1234", IdentifierKind.EmployeeNumber, "emp:E-1234")]
    [InlineData("node:opc.tcp://plc-1:4840#ns=2;s=Press01.Temp", IdentifierKind.GatewayNode, "node:opc.tcp://plc-1:4840#ns=2;s=Press01.Temp")]
    [InlineData("topic:mqtt://broker:1883#spBv1.0/site1/DDATA/edge/press01", IdentifierKind.GatewayTopic, "topic:mqtt://broker:1883#spBv1.0/site1/DDATA/edge/press01")]
    public void Parses_and_canonicalizes(string text, IdentifierKind kind, string canonical)
    {
        var id = IdentifierParser.Parse(text);
        Assert.Equal(kind, id.Kind);
        Assert.Equal(canonical, id.Canonical);
        Assert.Equal(id, IdentifierParser.Parse(id.Canonical)); // canonical form is a fixed point
    }

    [Theory]
    [InlineData("")]
    [InlineData("press-01")]
    [InlineData("88.100./press-01")]
    [InlineData("88.a.1/press-01")]
    [InlineData("88.100.1/")]
    [InlineData("88.100.1/press 01")]
    [InlineData("did:imv")]
    [InlineData("did:IM V:x")]
    [InlineData("did:imv:")]
    [InlineData("did:imv:a b")]
    [InlineData("did:imv:%zz")]
    [InlineData("rfid:1234")]
    [InlineData("rfid:3034F87C0B8D3C400000000G")]
    [InlineData("urn:epc:id:sgtin")]
    [InlineData("emp:")]
    [InlineData("emp:a b")]
    [InlineData("node:opc.tcp://plc#")]
    [InlineData("node:#ns=2;i=5")]
    [InlineData("topic:broker")]
    public void Rejects_invalid_forms_with_a_reason(string text)
    {
        Assert.False(IdentifierParser.TryParse(text, out var id, out var error));
        Assert.Null(id);
        Assert.False(string.IsNullOrEmpty(error));
        Assert.Throws<FormatException>(() => IdentifierParser.Parse(text));
    }

    [Fact]
    public void Factory_methods_match_text_forms()
    {
        Assert.Equal(IdentifierParser.Parse("88.100.1/press-01"), PhysicalIdentifier.Handle("88.100.1", "Press-01"));
        Assert.Equal(IdentifierParser.Parse("emp:77"), PhysicalIdentifier.Employee("77"));
        Assert.Equal(IdentifierParser.Parse("rfid:3034F87C0B8D3C4000000001"), PhysicalIdentifier.Rfid("3034f87c0b8d3c4000000001"));
        Assert.Equal(IdentifierKind.GatewayNode, PhysicalIdentifier.GatewayNode("opc.tcp://plc:4840", "ns=2;i=7").Kind);
    }

    [Fact]
    public void Shards_spread_evenly_and_are_stable()
    {
        var counts = new int[IdentityRegistry.ShardCount];
        for (var i = 0; i < 64_000; i++)
            counts[IdentityRegistry.ShardOf(PhysicalIdentifier.Handle("88.100.1", $"machine-{i}"))]++;
        Assert.All(counts, c => Assert.InRange(c, 700, 1300)); // mean 1,000
        // Stable across processes and versions: pinned values.
        Assert.Equal(IdentityRegistry.ShardOf(IdentifierParser.Parse("88.100.1/PRESS-01")), IdentityRegistry.ShardOf(IdentifierParser.Parse("88.100.1/press-01")));
        Assert.Equal(2166136261u, IdentifierParser.StableHash(""));
        // A hand-built, non-canonical identifier is routed like its canonical form.
        Assert.Equal(IdentityRegistry.ShardOf(IdentifierParser.Parse("emp:abc")), IdentityRegistry.ShardOf(new PhysicalIdentifier(IdentifierKind.EmployeeNumber, "emp:abc")));
    }
}
