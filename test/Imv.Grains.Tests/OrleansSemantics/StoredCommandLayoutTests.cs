using Imv.Grains.Commands;
using Imv.Grains.ControlLoops;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Grains.Tests.OrleansSemantics;

/// <summary>Commands and loop iterations as data files hold them: bytes written by the layout of December 2026
/// (before enum codecs and untracked references) still read, and what is written now reads back the same.</summary>
public sealed class StoredCommandLayoutTests(SerializationFixture fixture) : IClassFixture<SerializationFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 20, 0, 0, TimeSpan.Zero);

    // Written by the build of main at b118171 (SerializationTests' serializer) from Book() and Loop() below.
    private const string BookWrittenBefore =
        "ICAAByHoIOhAC2NtZC0wCRUBQQ1pc3N1ZXJBDXR3aW4tMUEFc3DBAUETAwAAAAAAAOA/MQEUi3j9eUltdi5HcmFpbnMuSW50ZXJmYWNlcy5Ud2lucy5UYWdWYWx1ZVtdLEltdi5HcmFpbnMuSW50ZXJmYWNlc+AhgABgWYLTU98IgQAAAAAAAAAA4CGAAEFPiNNT3wiBAAAAAAAAAADg4AkVB0ETY29uZmlybWVkMQFCWauW11N5c3RlbS5Db2xsZWN0aW9ucy5HZW5lcmljLkxpc3RgMVtbSW12LkdyYWlucy5JbnRlcmZhY2VzLkNvbW1hbmRzLkNvbW1hbmRUcmFuc2l0aW9uLEltdi5HcmFpbnMuSW50ZXJmYWNlc11dAAch6AgVASGAAGBZgtNT3wiBAAAAAAAAAADgwQHgIOgIFQMhgID28YLTU98IgQAAAAAAAAAA4EEJc2VudOAg6AgVByGAAI2Kg9NT3wiBAAAAAAAAAADgwSvg4MEBwQHgIOgg6EALY21kLTEJFQPBEcETwRXBAUETAwAAAAAAAPg/2QMbIYCA9vGC01PfCIEAAAAAAAAAAOAhgIDX54jTU98IgQAAAAAAAAAA4OAJFQfBKzkFAAch6AgVASGAgPbxgtNT3wiBAAAAAAAAAADgwQHgIOgIFQMhgACNioPTU98IgQAAAAAAAAAA4MFH4CDoCBUHIYCAIyOE01PfCIEAAAAAAAAAAODBK+DgwQHBAeAg6CDoQAtjbWQtMgkVA8ERwRPBFcEBQRMDAAAAAAAABEDZAxshgACNioPTU98IgQAAAAAAAAAA4CGAAG6AidNT3wiBAAAAAAAAAADg4AkVA8FHOQUABSHoCBUBIYAAjYqD01PfCIEAAAAAAAAAAODBAeAg6AgVAyGAgCMjhNNT3wiBAAAAAAAAAADgwUfg4MEBwQHg4OA=";
    private const string LoopWrittenBefore =
        "IMABAQHBAQEJAQEhAAHgIYAAAAAAAAAAAMEB4CEABSHoIIAAYFmC01PfCIEAAAAAAAAAAOCBAAAAAAAA+D8JFQGBAAAAAAAAAACBAAAAAAAABEABAUELY21kLTEJFQPBAeAg6CCAgPbxgtNT3wiBAAAAAAAAAADgwQEJFQWBAAAAAAAAAACBAAAAAAAAAAABA8EBwQFBC3N0YWxl4OABAQEB4A==";

    private static CommandBook Book()
    {
        var book = new CommandBook();
        for (int i = 0; i < 3; i++)
        {
            var envelope = new CommandEnvelope("cmd-" + i, i == 0 ? IssuerKind.Avatar : IssuerKind.ControlLoop, "issuer", "twin-1", "sp", null,
                TagValue.FromDouble(i + 0.5), [], T0.AddSeconds(i), T0.AddSeconds(i + 10));
            var status = i == 2 ? CommandDeliveryStatus.Delivered : CommandDeliveryStatus.Applied;
            var transitions = new List<CommandTransition> { new(CommandDeliveryStatus.Issued, T0.AddSeconds(i), null), new(CommandDeliveryStatus.Delivered, T0.AddSeconds(i + 1), "sent") };
            if (i != 2) transitions.Add(new CommandTransition(CommandDeliveryStatus.Applied, T0.AddSeconds(i + 2), "confirmed"));
            book.Add(new CommandRecord(envelope, status, i == 2 ? "sent" : "confirmed", transitions));
        }
        return book;
    }

    private static LoopState Loop()
    {
        var loop = new LoopState();
        loop.Record(new LoopIteration(T0, 1.5, TagQuality.Good, 0, 2.5, false, "cmd-1", CommandDeliveryStatus.Delivered, null));
        loop.Record(new LoopIteration(T0.AddSeconds(1), null, TagQuality.Bad, 0, 0, true, null, null, "stale"));
        return loop;
    }

    private static void AssertBook(CommandBook book)
    {
        Assert.Equal(3, book.Records.Count);
        for (int i = 0; i < 3; i++)
        {
            var r = book.Records[i];
            Assert.Equal("cmd-" + i, r.Envelope.CommandId);
            Assert.Equal(i == 0 ? IssuerKind.Avatar : IssuerKind.ControlLoop, r.Envelope.IssuerKind);
            Assert.Equal(i + 0.5, r.Envelope.Payload.AsDouble());
            Assert.Equal(i == 2 ? CommandDeliveryStatus.Delivered : CommandDeliveryStatus.Applied, r.Status);
            Assert.Equal(i == 2 ? 2 : 3, r.Transitions.Count);
            Assert.Equal(CommandDeliveryStatus.Issued, r.Transitions[0].Status);
            Assert.Equal("sent", r.Transitions[1].Reason);
            Assert.Equal(T0.AddSeconds(i + 1), r.Transitions[1].At);
        }
        Assert.Equal(1, book.PendingCount);
    }

    private static void AssertLoop(LoopState loop)
    {
        Assert.Equal(2, loop.History.Count);
        Assert.Equal(CommandDeliveryStatus.Delivered, loop.History[0].CommandStatus);
        Assert.Equal(TagQuality.Good, loop.History[0].Quality);
        Assert.Null(loop.History[1].CommandStatus);
        Assert.Equal(TagQuality.Bad, loop.History[1].Quality);
        Assert.Equal("stale", loop.History[1].Note);
    }

    [Fact]
    public void Commands_and_loop_iterations_written_before_read_and_written_now_read_back()
    {
        AssertBook(fixture.Serializer.Deserialize<CommandBook>(fixture.Serializer.SerializeToArray(Book()))!);
        AssertLoop(fixture.Serializer.Deserialize<LoopState>(fixture.Serializer.SerializeToArray(Loop()))!);
        AssertBook(fixture.Serializer.Deserialize<CommandBook>(Convert.FromBase64String(BookWrittenBefore))!);
        AssertLoop(fixture.Serializer.Deserialize<LoopState>(Convert.FromBase64String(LoopWrittenBefore))!);
    }
}
