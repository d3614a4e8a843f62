using Orleans;

namespace Imv.Grains.Interfaces.Recording;

/// <summary>Why a question to the plant recording has no answer.</summary>
public enum HistoryProblemKind : byte
{
    /// <summary>The question itself is wrong (a range whose start is after its end, a point count out of range).</summary>
    BadQuestion,
    /// <summary>No such twin.</summary>
    UnknownTwin,
    /// <summary>The twin has no such tag.</summary>
    UnknownTag,
    /// <summary>The silo records nothing (<c>Recording:Enabled=false</c>).</summary>
    RecordingOff,
    /// <summary>Nothing is recorded for the twin, the instant or the range asked.</summary>
    NothingRecorded,
}

/// <summary>Why there is no answer, in words that name what was asked and what exists.</summary>
[GenerateSerializer, Immutable]
public sealed record HistoryProblem([property: Id(0)] HistoryProblemKind Kind, [property: Id(1)] string Message);

/// <summary>An answer of the plant recording: <see cref="Value"/>, or the <see cref="Problem"/> that prevents it.</summary>
[GenerateSerializer, Immutable]
public sealed record HistoryAnswer<T>([property: Id(0)] T? Value, [property: Id(1)] HistoryProblem? Problem) where T : class
{
    /// <summary>An answer.</summary>
    public static HistoryAnswer<T> Of(T value) => new(value, null);

    /// <summary>No answer, because of <paramref name="kind"/>.</summary>
    public static HistoryAnswer<T> No(HistoryProblemKind kind, string message) => new(null, new HistoryProblem(kind, message));
}
