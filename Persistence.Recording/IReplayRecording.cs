namespace Imv.Persistence.Recording;

/// <summary>A plant recording as a replay's source (<see cref="IRecordingReader.OpenForReplay"/>): never written
/// through. Rows are read on one thread in recorded order and decoded on many.</summary>
public interface IReplayRecording
{
    /// <summary>Where the recording is, for messages.</summary>
    string Location { get; }

    /// <summary>Whether anything is recorded for <paramref name="twinId"/> in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    bool HasEntries(string twinId, DateTimeOffset from, DateTimeOffset to);

    /// <summary>Every entry recorded in [<paramref name="from"/>, <paramref name="to"/>) for the twins <paramref name="twins"/>
    /// admits, as stored, in recorded order (by position: per twin, the order the twin accepted them).</summary>
    IEnumerable<RecordedRow> ReadRows(DateTimeOffset from, DateTimeOffset to, Func<string, bool> twins, CancellationToken cancellationToken = default);

    /// <summary>Decodes a row of this recording (thread-safe). A damaged entry throws <see cref="InvalidDataException"/>
    /// naming the recording and position.</summary>
    RecordedEntry Decode(RecordedRow row);
}
