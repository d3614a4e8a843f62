using Imv.Grains.Interfaces.Avatars;

namespace Imv.Silo.Security;

/// <summary>What a request may want to do; every API endpoint names one (docs/api.md, "Roles and rights").</summary>
public enum Right
{
    /// <summary>Say who one is (<c>GET /api/me</c>): every role.</summary>
    Identify,
    /// <summary>Read twins, organizations, loops, avatars, gateways, the summary.</summary>
    Read,
    /// <summary>Command twins.</summary>
    Command,
    /// <summary>Take and give back one's own operator lease.</summary>
    Lease,
    /// <summary>Take or release another avatar's lease.</summary>
    ManageLeases,
    /// <summary>Supervise other avatars.</summary>
    Supervise,
    /// <summary>Open and close one's own device sessions.</summary>
    Sessions,
    /// <summary>Change organizations (members).</summary>
    Organizations,
    /// <summary>Reset and produce reports (OEE windows).</summary>
    Reports,
    /// <summary>Configure twins, control loops and alarm bands.</summary>
    Configure,
    /// <summary>Read the ledger of assets and transfers.</summary>
    Ledger,
    /// <summary>Register assets, mint, transfer.</summary>
    Assets,
    /// <summary>Register and deactivate avatars, create and revoke API keys, bind identities.</summary>
    Administer,
    /// <summary>Read the audit log.</summary>
    Audit,
    /// <summary>Read, correct and erase personal fields (name, employee number, contact): every role on its own
    /// avatar, the administrator on every avatar.</summary>
    PersonalData,
}

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
