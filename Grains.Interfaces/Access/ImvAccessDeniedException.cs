namespace Imv.Grains.Interfaces.Access;

/// <summary>A grain call from a client refused by the silo: no or an unknown API key, or a right the caller's role
/// does not hold on the target. The message says which, naming the right and the scope; nothing reached the grain.</summary>
[GenerateSerializer]
public sealed class ImvAccessDeniedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ImvAccessDeniedException(AccessDenial denial, string message, Right? right = null, string? target = null) : base(message)
    {
        Denial = denial;
        Right = right;
        Target = target;
    }

    /// <summary>Creates the exception.</summary>
    public ImvAccessDeniedException() { }

    /// <summary>Creates the exception.</summary>
    public ImvAccessDeniedException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public ImvAccessDeniedException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Why.</summary>
    [Id(0)] public AccessDenial Denial { get; init; }

    /// <summary>The right that was missing, when a right was.</summary>
    [Id(1)] public Right? Right { get; init; }

    /// <summary>The target the right was asked on (a twin, an organization), when there was one.</summary>
    [Id(2)] public string? Target { get; init; }
}
