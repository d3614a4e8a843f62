using Imv.Grains.Identity;
using Imv.Grains.Interfaces.Identity;
using Xunit;

namespace Imv.Grains.Tests.Identity;

public sealed class IdentityShardBookTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Register_resolve_duplicate_notfound_unregister()
    {
        var book = new IdentityShardBook(new IdentityShardState());
        var press = IdentifierParser.Parse("88.100.1/press-01");
        Assert.Equal(ResolutionStatus.NotFound, book.Resolve(press).Status);

        var r = book.Register(press, "site-1.line-01.machine-001", Now);
        Assert.Equal(RegistrationStatus.Registered, r.Status);
        var found = book.Resolve(IdentifierParser.Parse("88.100.1/PRESS-01"));
        Assert.Equal(ResolutionStatus.Found, found.Status);
        Assert.Equal("site-1.line-01.machine-001", found.VirtualId);

        var dup = book.Register(press, "other", Now);
        Assert.Equal(RegistrationStatus.Duplicate, dup.Status);
        Assert.Equal("site-1.line-01.machine-001", dup.ExistingVirtualId);
        var dupSame = book.Register(press, "site-1.line-01.machine-001", Now);
        Assert.Equal(RegistrationStatus.Duplicate, dupSame.Status);
        Assert.Equal("site-1.line-01.machine-001", book.Resolve(press).VirtualId);

        Assert.NotNull(book.Unregister(press));
        Assert.Null(book.Unregister(press));
        Assert.Equal(ResolutionStatus.NotFound, book.Resolve(press).Status);
    }

    [Fact]
    public void Non_canonical_hand_built_identifiers_are_canonicalized_or_rejected()
    {
        var book = new IdentityShardBook(new IdentityShardState());
        book.Register(new PhysicalIdentifier(IdentifierKind.EmployeeNumber, "emp:abc"), "avatar-1", Now);
        Assert.Equal("avatar-1", book.Resolve(IdentifierParser.Parse("emp:ABC")).VirtualId);
        Assert.Throws<ArgumentException>(() => book.Register(new PhysicalIdentifier(IdentifierKind.Did, "emp:x"), "v", Now));
        Assert.Throws<FormatException>(() => book.Register(new PhysicalIdentifier(IdentifierKind.Did, "nonsense"), "v", Now));
    }

    [Fact]
    public void Reverse_index_and_pending_confirmation()
    {
        var book = new IdentityShardBook(new IdentityShardState());
        var a = IdentifierParser.Parse("emp:1");
        var b = IdentifierParser.Parse("did:imv:alice");
        book.Register(a, "avatar-alice", Now);
        Assert.Single(book.PendingReverse());
        book.ConfirmReverse(a);
        Assert.Empty(book.PendingReverse());

        Assert.True(book.AddReverse("avatar-alice", b));
        Assert.True(book.AddReverse("avatar-alice", a));
        Assert.False(book.AddReverse("avatar-alice", a));
        Assert.Equal([b, a], book.Identifiers("avatar-alice"));
        Assert.True(book.RemoveReverse("avatar-alice", a));
        Assert.False(book.RemoveReverse("avatar-alice", a));
        Assert.Equal([b], book.Identifiers("avatar-alice"));
        Assert.Empty(book.Identifiers("nobody"));
        Assert.Equal(new IdentityShardCounts(1, 1, 0), book.Counts());
    }
}
