using System.Collections.Concurrent;
using Imv.Runtime.Messaging;
using Imv.Runtime.Placement;
using Imv.Runtime.Serialization;

namespace Imv.Runtime.Reminders;

/// <summary>Keeps the durable reminders of the partitions this silo owns: reads them from the reminder table
/// at start and whenever partitions move, and fires each as a call to its grain (activating it if needed).
/// Firing is at least once per period; a reminder due while no silo ran fires at the next period boundary.</summary>
internal sealed class ReminderService(SiloRuntime silo, IReminderTable table)
{
    private readonly ConcurrentDictionary<(GrainId, string), Scheduled> _scheduled = new();
    private volatile bool _stopped;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var entry in await table.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            if (silo.OwnsPartitionOf(entry.GrainId)) Schedule(entry);
    }

    public void Stop()
    {
        _stopped = true;
        foreach (var s in _scheduled.Values) s.Timer.Dispose();
        _scheduled.Clear();
    }

    public void OnTableChanged(PartitionTable changed)
    {
        if (_stopped) return;
        foreach (var (key, s) in _scheduled)
            if (!silo.OwnsPartitionOf(key.Item1) && _scheduled.TryRemove(key, out var removed)) removed.Timer.Dispose();
        _ = ReloadAsync();
    }

    private async Task ReloadAsync()
    {
        try
        {
            foreach (var entry in await table.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                if (silo.OwnsPartitionOf(entry.GrainId) && !_scheduled.ContainsKey((entry.GrainId, entry.ReminderName))) Schedule(entry);
        }
        catch (Exception e)
        {
            silo.Log.ReminderFailed(e, new GrainId("$reminders", silo.Name), "reload");
        }
    }

    public async Task<IGrainReminder> RegisterOrUpdateAsync(GrainId grainId, string name, TimeSpan dueTime, TimeSpan period, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (period < TimeSpan.FromMilliseconds(100))
            throw new ArgumentOutOfRangeException(nameof(period), period, $"Reminder '{name}' of {grainId}: period must be at least 100 ms (use a grain timer for faster ticks).");
        if (dueTime < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(dueTime), dueTime, $"Reminder '{name}' of {grainId}: due time must not be negative.");
        var entry = new ReminderEntry(grainId, name, DateTimeOffset.UtcNow + dueTime, period);
        var etag = await table.UpsertRowAsync(entry, cancellationToken).ConfigureAwait(true);
        entry = entry with { ETag = etag };
        Schedule(entry);
        return new Reminder(name, etag);
    }

    public async Task UnregisterAsync(GrainId grainId, IGrainReminder reminder, CancellationToken cancellationToken)
    {
        if (_scheduled.TryRemove((grainId, reminder.ReminderName), out var s)) s.Timer.Dispose();
        var row = await table.ReadRowAsync(grainId, reminder.ReminderName, cancellationToken).ConfigureAwait(true);
        if (row?.ETag is not null) await table.RemoveRowAsync(grainId, reminder.ReminderName, row.ETag, cancellationToken).ConfigureAwait(true);
    }

    public async Task<IGrainReminder?> GetAsync(GrainId grainId, string name, CancellationToken cancellationToken)
    {
        var row = await table.ReadRowAsync(grainId, name, cancellationToken).ConfigureAwait(true);
        return row is null ? null : new Reminder(row.ReminderName, row.ETag ?? "");
    }

    private void Schedule(ReminderEntry entry)
    {
        if (_stopped) return;
        var key = (entry.GrainId, entry.ReminderName);
        var now = DateTimeOffset.UtcNow;
        TimeSpan due;
        if (entry.StartAt >= now) due = entry.StartAt - now;
        else
        {
            long periods = (long)Math.Ceiling((now - entry.StartAt).Ticks / (double)entry.Period.Ticks);
            due = entry.StartAt + TimeSpan.FromTicks(entry.Period.Ticks * periods) - now;
            if (due < TimeSpan.Zero) due = TimeSpan.Zero;
        }
        var scheduled = new Scheduled(entry, this);
        scheduled.Timer.Change(due, entry.Period);
        if (_scheduled.TryGetValue(key, out var old)) old.Timer.Dispose();
        _scheduled[key] = scheduled;
    }

    private void Fire(ReminderEntry entry)
    {
        if (_stopped) return;
        var now = DateTimeOffset.UtcNow;
        var request = new ReminderTickRequest(entry.ReminderName, new TickStatus(entry.StartAt, entry.Period, now))
        {
            TargetId = entry.GrainId,
            Deadline = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(entry.Period.TotalSeconds * System.Diagnostics.Stopwatch.Frequency),
        };
        _ = ObserveAsync(request, entry);
        silo.Route(request);
    }

    private async Task ObserveAsync(ReminderTickRequest request, ReminderEntry entry)
    {
        try
        {
            await request.AsUntypedTask().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            silo.Log.ReminderFailed(e, entry.GrainId, entry.ReminderName);
        }
    }

    private sealed class Scheduled(ReminderEntry entry, ReminderService service)
    {
        public Timer Timer { get; } = new(static s => { var (svc, e) = ((ReminderService, ReminderEntry))s!; svc.Fire(e); }, (service, entry), Timeout.Infinite, Timeout.Infinite);
    }

    private sealed record Reminder(string ReminderName, string ETag) : IGrainReminder;

    /// <summary>A reminder firing, delivered as a turn of the grain.</summary>
    private sealed class ReminderTickRequest(string name, TickStatus status) : LocalRequest
    {
        public override uint MethodId => 3;
        public override string MethodName => "IRemindable.ReceiveReminder";

        protected override ValueTask<Unit> InvokeCore(object grain) =>
            grain is IRemindable remindable
                ? FromTask(remindable.ReceiveReminder(name, status))
                : throw new InvalidOperationException($"Grain {TargetId} has reminder '{name}' but does not implement IRemindable.");
    }
}
