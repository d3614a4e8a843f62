namespace Imv.Grains.Interfaces.Access;

/// <summary>Why a client's grain call was refused (<see cref="ImvAccessDeniedException.Denial"/>).</summary>
public enum AccessDenial
{
    /// <summary>The call carried no API key.</summary>
    MissingKey,
    /// <summary>The key is not known to the grid, or was revoked.</summary>
    UnknownKey,
    /// <summary>The key's avatar is not registered, or is inactive.</summary>
    InactiveAvatar,
    /// <summary>The method is not callable by clients (<see cref="SiloOnlyAttribute"/>, or no declaration at all).</summary>
    SiloOnly,
    /// <summary>The caller's role does not hold the method's right on its target.</summary>
    Forbidden,
    /// <summary>The call names another avatar as the issuer (a command's issuer is the caller).</summary>
    Issuer,
}
