namespace Imv.Grains.Interfaces.Access;

/// <summary>What a request may want to do; every API endpoint and every client-callable grain method names one (docs/api.md, "Roles and rights"; docs/sdk.md, "Authentication").</summary>
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
