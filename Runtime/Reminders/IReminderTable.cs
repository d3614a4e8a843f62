namespace Imv.Runtime.Reminders;

/// <summary>Where durable reminders are kept (memory, SQLite, later PostgreSQL). Rows survive silo restarts.</summary>
public interface IReminderTable
{
    /// <summary>Every reminder row.</summary>
    Task<IReadOnlyList<ReminderEntry>> ReadAllAsync(CancellationToken cancellationToken);

    /// <summary>The reminders of one grain.</summary>
    Task<IReadOnlyList<ReminderEntry>> ReadRowsAsync(GrainId grainId, CancellationToken cancellationToken);

    /// <summary>One reminder; null when none.</summary>
    Task<ReminderEntry?> ReadRowAsync(GrainId grainId, string reminderName, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces a reminder; returns its new ETag.</summary>
    Task<string> UpsertRowAsync(ReminderEntry entry, CancellationToken cancellationToken);

    /// <summary>Removes a reminder if its ETag matches; false when it did not (or was gone).</summary>
    Task<bool> RemoveRowAsync(GrainId grainId, string reminderName, string eTag, CancellationToken cancellationToken);
}

/// <summary>A durable reminder.</summary>
/// <param name="GrainId">The grain it wakes.</param>
/// <param name="ReminderName">Its name, unique per grain.</param>
/// <param name="StartAt">When it first fires (UTC).</param>
/// <param name="Period">Time between firings.</param>
/// <param name="ETag">The row's version; null before it is stored.</param>
public sealed record ReminderEntry(GrainId GrainId, string ReminderName, DateTimeOffset StartAt, TimeSpan Period, string? ETag = null);
