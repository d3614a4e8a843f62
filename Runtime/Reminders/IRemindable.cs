namespace Imv.Runtime;

/// <summary>Implemented by grain classes that register durable reminders.</summary>
public interface IRemindable
{
    /// <summary>A reminder fired (at least once per period, also after a silo restart).</summary>
    Task ReceiveReminder(string reminderName, TickStatus status);
}

/// <summary>Details of one reminder firing.</summary>
/// <param name="FirstTickTime">When the reminder first fired.</param>
/// <param name="Period">The reminder's period.</param>
/// <param name="CurrentTickTime">When this firing was due.</param>
public readonly record struct TickStatus(DateTimeOffset FirstTickTime, TimeSpan Period, DateTimeOffset CurrentTickTime);

/// <summary>A handle to a registered reminder.</summary>
public interface IGrainReminder
{
    /// <summary>The reminder's name.</summary>
    string ReminderName { get; }
}
