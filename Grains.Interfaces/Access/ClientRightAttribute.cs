namespace Imv.Grains.Interfaces.Access;

/// <summary>Declares the right an Orleans client (the SDK, <c>imv</c>) needs to call this grain method, and what the
/// scope check applies to. The silo's gate (<c>Silo/Security/ClientCallGate</c>) checks it on every call that comes
/// through a gateway with the same roles and scopes as the HTTP API; a method without a declaration is refused to
/// clients (deny by default). Calls between grains and from the silos' own code are not checked.</summary>
/// <param name="right">The right the caller's role must hold.</param>
/// <param name="target">What the target id names (<see cref="TargetKind.None"/>: the role's reach must be Everywhere).</param>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class ClientRightAttribute(Right right, TargetKind target = TargetKind.None) : Attribute
{
    /// <summary>The right.</summary>
    public Right Right { get; } = right;

    /// <summary>What the target id names.</summary>
    public TargetKind Target { get; } = target;

    /// <summary>The index of the (string) argument holding the target id; -1 (the default): the grain's own key.</summary>
    public int TargetArgument { get; set; } = -1;

    /// <summary>The index of a (string) argument naming the avatar the call acts for (a replay's requester): it must be
    /// empty or the caller's own avatar, and the gate sets it to the caller. -1 (the default): none. A command's issuer
    /// (<c>CommandRequest.Issuer</c>) is always the caller, without a declaration.</summary>
    public int CallerArgument { get; set; } = -1;
}
