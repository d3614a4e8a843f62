using Imv.Grains.Interfaces.Replay;

namespace Imv.Client.Access;

/// <summary>A replay could not start (<see cref="ReplayAccess.StartAsync"/>): the message names every problem.</summary>
public sealed class ReplayRefusedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ReplayRefusedException(ReplayRefusal refusal, string message) : base(message) => Refusal = refusal;

    /// <summary>Creates the exception.</summary>
    public ReplayRefusedException() { }

    /// <summary>Creates the exception.</summary>
    public ReplayRefusedException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public ReplayRefusedException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Why.</summary>
    public ReplayRefusal Refusal { get; }
}
