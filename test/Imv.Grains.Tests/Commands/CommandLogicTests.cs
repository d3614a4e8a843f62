using Imv.Grains.Commands;
using Imv.Grains.Interfaces.Avatars;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;
using Xunit;

namespace Imv.Grains.Tests.Commands;

public class CommandLogicTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly TwinConfiguration Config = new(
        OrganizationId: "line1", AuthorizedIssuers: ["bob"], ControlLoops: ["loop1"], Methods: ["Reset"]);

    private static readonly TagMetadata Setpoint = new("sp", TagDataType.Double, "degC", Writable: true, Minimum: 0, Maximum: 100);

    private static AvatarProfile Avatar(string id, bool active = true, params string[] scopes) =>
        new(id, id, AvatarKind.User, AvatarRole.Worker, DigitalHumanDriver.None, null, SiteMode.OnSite, scopes, active, []);

    private static CommandRequest Write(string issuer, TagValue v, IssuerKind kind = IssuerKind.Avatar, string tag = "sp") =>
        new("c1", kind, issuer, tag, null, v);

    [Fact]
    public void Issuer_check()
    {
        var w = Write("alice", TagValue.FromDouble(5));
        Assert.StartsWith("issuer:", CommandChecks.Issuer(w, "m1", Config, null));
        Assert.Contains("inactive", CommandChecks.Issuer(w, "m1", Config, Avatar("alice", active: false, "m1")));
        Assert.Contains("may not command", CommandChecks.Issuer(w, "m1", Config, Avatar("alice")));
        Assert.Null(CommandChecks.Issuer(w, "m1", Config, Avatar("alice", true, "m1")));
        Assert.Null(CommandChecks.Issuer(w, "m1", Config, Avatar("alice", true, "line1")));
        Assert.Null(CommandChecks.Issuer(Write("bob", TagValue.FromDouble(5)), "m1", Config, Avatar("bob")));
        Assert.Null(CommandChecks.Issuer(Write("loop1", TagValue.FromDouble(5), IssuerKind.ControlLoop), "m1", Config, null));
        Assert.StartsWith("issuer:", CommandChecks.Issuer(Write("loop2", TagValue.FromDouble(5), IssuerKind.ControlLoop), "m1", Config, null));
    }

    [Fact]
    public void Interlocks()
    {
        Assert.Null(CommandChecks.Interlocks(Write("a", TagValue.FromDouble(50)), Config, Setpoint));
        Assert.Null(CommandChecks.Interlocks(Write("a", TagValue.FromInteger(50)), Config, Setpoint));
        Assert.Contains("above the maximum", CommandChecks.Interlocks(Write("a", TagValue.FromDouble(101)), Config, Setpoint));
        Assert.Contains("below the minimum", CommandChecks.Interlocks(Write("a", TagValue.FromDouble(-1)), Config, Setpoint));
        Assert.Contains("is String", CommandChecks.Interlocks(Write("a", TagValue.FromString("x")), Config, Setpoint));
        Assert.Contains("not a finite", CommandChecks.Interlocks(Write("a", TagValue.FromDouble(double.NaN)), Config, Setpoint));
        Assert.Contains("not writable", CommandChecks.Interlocks(Write("a", TagValue.FromDouble(1)), Config, Setpoint with { Writable = false }));
        Assert.Contains("unknown tag", CommandChecks.Interlocks(Write("a", TagValue.FromDouble(1)), Config, null));
        Assert.Null(CommandChecks.Interlocks(new CommandRequest("c", IssuerKind.Avatar, "a", null, "Reset", default), Config, null));
        Assert.Contains("not allowed", CommandChecks.Interlocks(new CommandRequest("c", IssuerKind.Avatar, "a", null, "Explode", default), Config, null));
        Assert.Contains("either", CommandChecks.Interlocks(new CommandRequest("c", IssuerKind.Avatar, "a", "sp", "Reset", default), Config, Setpoint));
        var arr = new TagMetadata("arr", TagDataType.DoubleArray, Writable: true, Maximum: 10);
        Assert.Contains("above", CommandChecks.Interlocks(Write("a", TagValue.FromArray(new[] { 1.0, 11.0 }), tag: "arr"), Config, arr));
    }

    [Fact]
    public void Checks_run_in_order_issuer_lease_coupling_interlocks()
    {
        var lease = new OperatorLeaseBook();
        Assert.True(lease.Acquire("bob", TimeSpan.FromMinutes(5), T0).Granted);
        var oneWay = Config with { Coupling = CouplingMode.OneWayInfluence };
        var bad = Write("alice", TagValue.FromDouble(1000));
        // Every check would fail: the issuer's is reported.
        Assert.StartsWith("issuer:", CommandChecks.Evaluate(bad, "m1", oneWay, null, lease, Setpoint, T0));
        Assert.StartsWith("lease:", CommandChecks.Evaluate(bad, "m1", oneWay, Avatar("alice", true, "m1"), lease, Setpoint, T0));
        Assert.StartsWith("coupling:", CommandChecks.Evaluate(Write("bob", TagValue.FromDouble(1000)), "m1", oneWay, Avatar("bob"), lease, Setpoint, T0));
        Assert.StartsWith("interlock:", CommandChecks.Evaluate(Write("bob", TagValue.FromDouble(1000)), "m1", Config, Avatar("bob"), lease, Setpoint, T0));
        Assert.Null(CommandChecks.Evaluate(Write("bob", TagValue.FromDouble(10)), "m1", Config, Avatar("bob"), lease, Setpoint, T0));
        // A loop is blocked by an avatar's lease.
        Assert.StartsWith("lease:", CommandChecks.Evaluate(Write("loop1", TagValue.FromDouble(10), IssuerKind.ControlLoop), "m1", Config, null, lease, Setpoint, T0));
        // After the lease lapses the others may command again.
        Assert.Null(CommandChecks.Evaluate(Write("alice", TagValue.FromDouble(10)), "m1", Config, Avatar("alice", true, "m1"), lease, Setpoint, T0.AddMinutes(6)));
    }

    [Fact]
    public void Lease_is_exclusive_renewable_and_expires()
    {
        var lease = new OperatorLeaseBook();
        Assert.True(lease.Acquire("bob", TimeSpan.FromMinutes(1), T0).Granted);
        var refused = lease.Acquire("alice", TimeSpan.FromMinutes(1), T0.AddSeconds(30));
        Assert.False(refused.Granted);
        Assert.Equal("bob", refused.Lease!.Holder);
        var renewed = lease.Acquire("bob", TimeSpan.FromMinutes(1), T0.AddSeconds(30));
        Assert.True(renewed.Granted);
        Assert.Equal(T0, renewed.Lease!.AcquiredAt);
        Assert.Equal(T0.AddSeconds(90), renewed.Lease.ExpiresAt);
        Assert.False(lease.Release("alice", T0.AddSeconds(40)));
        Assert.True(lease.Acquire("alice", TimeSpan.FromMinutes(1), T0.AddSeconds(91)).Granted);
        Assert.True(lease.Release("alice", T0.AddSeconds(92)));
        Assert.Null(lease.Current(T0.AddSeconds(92)));
    }

    private static CommandEnvelope Envelope(string id = "c1") =>
        new(id, IssuerKind.Avatar, "bob", "m1", "sp", null, TagValue.FromDouble(5), [], T0, T0.AddSeconds(30));

    [Fact]
    public void Lifecycle_moves_forward_only_and_ends_at_terminal_states()
    {
        var r = CommandLifecycle.Start(Envelope(), null, null);
        Assert.Equal(CommandDeliveryStatus.Issued, r.Status);
        r = CommandLifecycle.Move(r, CommandDeliveryStatus.Acked, T0.AddSeconds(1), null)!;
        Assert.Null(CommandLifecycle.Move(r, CommandDeliveryStatus.Delivered, T0.AddSeconds(2), null));
        r = CommandLifecycle.Move(r, CommandDeliveryStatus.Applied, T0.AddSeconds(3), null)!;
        Assert.True(r.IsTerminal);
        Assert.Null(CommandLifecycle.Move(r, CommandDeliveryStatus.Rejected, T0.AddSeconds(4), "late"));
        Assert.Null(CommandLifecycle.Move(r, CommandDeliveryStatus.Expired, T0.AddSeconds(4), "late"));
        Assert.Equal([CommandDeliveryStatus.Issued, CommandDeliveryStatus.Acked, CommandDeliveryStatus.Applied], r.Transitions.Select(t => t.Status));
        Assert.Equal(T0.AddSeconds(3), r.Transitions[^1].At);
        var rejected = CommandLifecycle.Start(Envelope(), "issuer: x", null);
        Assert.Equal(CommandDeliveryStatus.Rejected, rejected.Status);
        Assert.Equal("issuer: x", rejected.Reason);
    }

    [Fact]
    public void Read_back_turns_applied_confirmation_into_acked_and_expires()
    {
        var r = CommandLifecycle.Start(Envelope(), null, T0.AddSeconds(10));
        Assert.Equal(CommandDeliveryStatus.Acked, CommandLifecycle.Confirmation(r, CommandDeliveryStatus.Applied, null).Status);
        Assert.Null(CommandLifecycle.DueExpiry(r, T0.AddSeconds(10)));
        Assert.Contains("read-back timeout", CommandLifecycle.DueExpiry(r, T0.AddSeconds(11)));
        // The reason names the tag, the value it waited for and what the tag read meanwhile.
        Assert.Equal("tag 'sp' did not read back the commanded value 5 (last read 4.5) before the read-back timeout",
            CommandLifecycle.DueExpiry(r, T0.AddSeconds(11), TagValue.FromDouble(4.5)));
        Assert.Equal("tag 'sp' did not read back the commanded value 5 (no reading since) before expiry", CommandLifecycle.DueExpiry(r, T0.AddSeconds(31)));
        var plain = CommandLifecycle.Start(Envelope(), null, null);
        Assert.Equal(CommandDeliveryStatus.Applied, CommandLifecycle.Confirmation(plain, CommandDeliveryStatus.Applied, null).Status);
        Assert.Null(CommandLifecycle.DueExpiry(plain, T0.AddSeconds(30)));
        Assert.Contains("expiry", CommandLifecycle.DueExpiry(plain, T0.AddSeconds(31)));
    }

    [Fact]
    public void Book_is_idempotent_and_bounded()
    {
        var book = new CommandBook();
        var pending = CommandLifecycle.Start(Envelope("p"), null, null);
        book.Add(pending);
        for (int i = 0; i < CommandBook.MaxFinished + 10; i++)
            book.Add(CommandLifecycle.Start(Envelope("c" + i), "x", null));
        Assert.Throws<InvalidOperationException>(() => book.Add(CommandLifecycle.Start(Envelope("p"), null, null)));
        Assert.Equal(CommandBook.MaxFinished + 1, book.Records.Count);
        Assert.NotNull(book.Find("p"));
        Assert.Null(book.Find("c0"));
        Assert.NotNull(book.Find("c" + (CommandBook.MaxFinished + 9)));
        book.Replace(CommandLifecycle.Move(pending, CommandDeliveryStatus.Delivered, T0, null)!);
        Assert.Equal(CommandDeliveryStatus.Delivered, book.Find("p")!.Status);
        Assert.Single(book.Pending());
    }
}
