using Imv.Grains.Interfaces.Avatars;

namespace Imv.Silo.Security;

/// <summary>How far a role's right reaches.</summary>
public enum Reach
{
    /// <summary>Not at all.</summary>
    None,
    /// <summary>On what the avatar itself is (its own sessions, its own supervision).</summary>
    Self,
    /// <summary>On the twins, organizations and assets its scopes cover.</summary>
    InScope,
    /// <summary>Everywhere.</summary>
    Everywhere,
}

/// <summary>The rights of each role. Supervisors have the operators' rights and more; managers the supervisors'.</summary>
public static class RolePolicy
{
    /// <summary>How far <paramref name="role"/>'s <paramref name="right"/> reaches.</summary>
    public static Reach Of(AvatarRole role, Right right) => right == Right.Identify ? Reach.Everywhere : role switch
    {
        AvatarRole.Administrator => Reach.Everywhere,
        _ when right == Right.PersonalData => Reach.Self,
        AvatarRole.Worker => right switch
        {
            Right.Read => Reach.Everywhere,
            Right.Command or Right.Lease => Reach.InScope,
            Right.Sessions => Reach.Self,
            _ => Reach.None,
        },
        AvatarRole.Supervisor => right switch
        {
            Right.Read => Reach.Everywhere,
            Right.Command or Right.Lease or Right.ManageLeases => Reach.InScope,
            Right.Sessions or Right.Supervise => Reach.Self,
            _ => Reach.None,
        },
        AvatarRole.Manager => right switch
        {
            Right.Read or Right.Ledger or Right.Assets => Reach.Everywhere,
            Right.Command or Right.Lease or Right.ManageLeases or Right.Organizations or Right.Reports => Reach.InScope,
            Right.Sessions or Right.Supervise => Reach.Self,
            _ => Reach.None,
        },
        AvatarRole.Engineer => right switch
        {
            Right.Read => Reach.Everywhere,
            Right.Configure => Reach.InScope,
            Right.Sessions => Reach.Self,
            _ => Reach.None,
        },
        AvatarRole.Regulator => right switch
        {
            Right.Read or Right.Ledger or Right.Audit => Reach.Everywhere,
            Right.Sessions => Reach.Self,
            _ => Reach.None,
        },
        AvatarRole.SupplierGuest => right switch
        {
            Right.Read => Reach.InScope,
            _ => Reach.None,
        },
        _ => Reach.None,
    };

    /// <summary>Every right with its reach for <paramref name="role"/> (for <c>GET /api/me</c>).</summary>
    public static IReadOnlyDictionary<string, string> Describe(AvatarRole role) =>
        Enum.GetValues<Right>().Where(r => Of(role, r) != Reach.None).ToDictionary(r => r.ToString(), r => Of(role, r).ToString());
}
