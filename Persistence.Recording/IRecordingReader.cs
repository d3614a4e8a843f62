using Imv.Grains.Interfaces.Twins;

namespace Imv.Persistence.Recording;

/// <summary>The plant recording as the silo's readers see it (time travel, a tag's history, a replay's seed and source),
/// whatever stores it: the SQLite file beside the grain state, or the PostgreSQL table every silo of a cluster shares.
/// Implemented by each recorder next to its write side (<see cref="Grains.Interfaces.Recording.ITwinRecorder"/>), so a
/// reader sees what the twins handed over once <see cref="FlushAsync"/> returns. Asynchronous: a store on a server
/// (PostgreSQL) holds no thread while it answers, and a cancelled request stops its query. Damaged data throws
/// <see cref="InvalidDataException"/> naming <see cref="Location"/> and the entry or row: never skipped silently.</summary>
public interface IRecordingReader
{
    /// <summary>Where the recording is, for messages: a file path, or a PostgreSQL table with its database.</summary>
    string Location { get; }

    /// <summary>Waits until every entry handed over before the call is committed (or dropped) and readable.</summary>
    Task FlushAsync(CancellationToken cancellationToken = default);

    /// <summary>The first and last instants recorded for <paramref name="twinId"/>; null when nothing is.</summary>
    ValueTask<(DateTimeOffset First, DateTimeOffset Last)?> RangeAsync(string twinId, CancellationToken cancellationToken = default);

    /// <summary>The entries of <paramref name="twinId"/> from <paramref name="from"/> to <paramref name="to"/>
    /// (inclusive), in recorded order; newest first when <paramref name="newestFirst"/> (read lazily: a reader that
    /// stops early reads no further).</summary>
    IAsyncEnumerable<RecordedEntry> ReadAsync(string twinId, DateTimeOffset from, DateTimeOffset to, bool newestFirst = false, CancellationToken cancellationToken = default);

    /// <summary>The readings of one tag of <paramref name="twinId"/> accepted from <paramref name="from"/> to
    /// <paramref name="to"/> (inclusive), in recorded order, as (source time, value): only that tag is decoded.</summary>
    ValueTask<List<(long SourceTicks, TagValue Value)>> ReadTagAsync(string twinId, string tag, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);

    /// <summary>The minutes of one tag of <paramref name="twinId"/> starting in [<paramref name="from"/>, <paramref name="to"/>),
    /// in order (only minutes that ended: the current one is in the entries only), parts of a minute merged.</summary>
    ValueTask<List<RecordedMinute>> ReadMinutesAsync(string twinId, string tag, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);

    /// <summary>The recording opened for a replay: read only (a replay stopped half-way, or failing, leaves it as it was).</summary>
    IReplayRecording OpenForReplay();
}
