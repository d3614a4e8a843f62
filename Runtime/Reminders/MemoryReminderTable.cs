using System.Globalization;

namespace Imv.Runtime.Reminders;

/// <summary>Reminders in memory, for tests and single-process runs. Thread-safe. ETags come from one counter,
/// so a removed and re-created reminder never gets an ETag it had before.</summary>
public sealed class MemoryReminderTable : IReminderTable
{
    private readonly Dictionary<(GrainId GrainId, string Name), ReminderEntry> _rows = [];
    private readonly Lock _gate = new();
    private long _lastETag;

    /// <inheritdoc />
    public Task<IReadOnlyList<ReminderEntry>> ReadAllAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate) return Task.FromResult<IReadOnlyList<ReminderEntry>>([.. _rows.Values]);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ReminderEntry>> ReadRowsAsync(GrainId grainId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var result = new List<ReminderEntry>();
        lock (_gate)
        {
            foreach (var row in _rows.Values)
                if (row.GrainId == grainId) result.Add(row);
        }
        return Task.FromResult<IReadOnlyList<ReminderEntry>>(result);
    }

    /// <inheritdoc />
    public Task<ReminderEntry?> ReadRowAsync(GrainId grainId, string reminderName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reminderName);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate) return Task.FromResult(_rows.TryGetValue((grainId, reminderName), out var row) ? row : null);
    }

    /// <inheritdoc />
    public Task<string> UpsertRowAsync(ReminderEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            string eTag = (++_lastETag).ToString(CultureInfo.InvariantCulture);
            _rows[(entry.GrainId, entry.ReminderName)] = entry with { ETag = eTag };
            return Task.FromResult(eTag);
        }
    }

    /// <inheritdoc />
    public Task<bool> RemoveRowAsync(GrainId grainId, string reminderName, string eTag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reminderName);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            var key = (grainId, reminderName);
            if (!_rows.TryGetValue(key, out var row) || !string.Equals(row.ETag, eTag, StringComparison.Ordinal))
                return Task.FromResult(false);
            _rows.Remove(key);
            return Task.FromResult(true);
        }
    }
}
