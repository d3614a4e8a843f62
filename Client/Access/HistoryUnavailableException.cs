using Imv.Grains.Interfaces.Recording;

namespace Imv.Client.Access;

/// <summary>The plant recording has no answer to a time-travel question (<see cref="TwinAccess.GetAtAsync"/>,
/// <see cref="TwinAccess.GetHistoryAsync"/>): the message says what was asked and what exists.</summary>
public sealed class HistoryUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HistoryUnavailableException(HistoryProblemKind kind, string message) : base(message) => Kind = kind;

    /// <summary>Creates the exception.</summary>
    public HistoryUnavailableException() { }

    /// <summary>Creates the exception.</summary>
    public HistoryUnavailableException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public HistoryUnavailableException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Why there is no answer.</summary>
    public HistoryProblemKind Kind { get; }
}
