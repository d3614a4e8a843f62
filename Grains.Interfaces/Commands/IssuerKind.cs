namespace Imv.Grains.Interfaces.Commands;

/// <summary>What kind of identity issued a command.</summary>
[GenerateSerializer]
public enum IssuerKind : byte
{
    /// <summary>An avatar (<c>IAvatarGrain</c>): a user or a digital human. Authorized when it is registered,
    /// active, and the twin lists it or its scopes include the twin or the twin's organization.</summary>
    Avatar = 0,
    /// <summary>A control loop (<c>IControlLoopGrain</c>) under its own identity. Authorized when the twin's
    /// configuration lists the loop id.</summary>
    ControlLoop = 1,
}
