namespace Imv.Persistence.Sqlite;

/// <summary>Write-behind: a checkpoint in progress, written to grain_state chunk by chunk.</summary>
internal sealed class CheckpointRun(List<StateFingerprint> keys, int journalHead, List<PendingWrite> requests)
{
    public List<StateFingerprint> Keys { get; } = keys;

    /// <summary>The last journal segment whose records this checkpoint covers.</summary>
    public int JournalHead { get; } = journalHead;

    public List<PendingWrite> Requests { get; } = requests;

    public int Next { get; set; }
}
