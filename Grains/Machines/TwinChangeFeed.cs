using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Interfaces.Watching;
using Imv.Grains.Watching;
using Microsoft.Extensions.Logging;

namespace Imv.Grains.Machines;

/// <summary>A twin's change feed: collects what a turn changed (tags, alarm events, command records) and, once the
/// turn stored it, publishes one <see cref="TwinChange"/> to the twin's watchers. Collects nothing while nobody watches.</summary>
internal sealed class TwinChangeFeed
{
    private readonly WatcherSet<ITwinObserver> _watchers;
    private readonly HashSet<string> _tags = new(StringComparer.Ordinal);
    private readonly List<AlarmEvent> _alarms = [];
    private readonly List<CommandRecord> _commands = [];
    private bool _allTags;
    private bool _pending;

    public TwinChangeFeed(ILogger logger) => _watchers = new WatcherSet<ITwinObserver>(logger);

    /// <summary>Whether anyone watches.</summary>
    public bool Any => _watchers.Any;

    /// <summary>Where the feed stands.</summary>
    public WatchPosition Position => _watchers.Position;

    public void Watch(ITwinObserver observer) => _watchers.Watch(observer);

    public void Unwatch(ITwinObserver observer) => _watchers.Unwatch(observer);

    /// <summary>Readings of these tags were applied.</summary>
    public void TagsChanged(TagUpdate[] updates)
    {
        if (!Any) return;
        foreach (var u in updates) if (u.Tag is { } name) _tags.Add(name);
        _pending = true;
    }

    /// <summary>One tag changed.</summary>
    public void TagChanged(string tag)
    {
        if (!Any) return;
        _tags.Add(tag);
        _pending = true;
    }

    /// <summary>Every tag may have changed (connectivity).</summary>
    public void AllTagsChanged()
    {
        if (!Any) return;
        _allTags = true;
        _pending = true;
    }

    public void AlarmsChanged(List<AlarmEvent> events)
    {
        if (!Any) return;
        _alarms.AddRange(events);
        _pending = true;
    }

    public void CommandMoved(CommandRecord record)
    {
        if (!Any) return;
        for (int i = 0; i < _commands.Count; i++)
            if (_commands[i].Envelope.CommandId == record.Envelope.CommandId) { _commands[i] = record; return; }
        _commands.Add(record);
        _pending = true;
    }

    /// <summary>Something else changed (the shadow's desired side).</summary>
    public void Touched()
    {
        if (Any) _pending = true;
    }

    /// <summary>Drops what was collected (the turn failed to store it).</summary>
    public void Discard()
    {
        _tags.Clear();
        _alarms.Clear();
        _commands.Clear();
        _allTags = false;
        _pending = false;
    }

    /// <summary>Publishes what was collected, reading tags through <paramref name="snapshotOf"/> (all of them when
    /// <paramref name="allTags"/> is used).</summary>
    public void Publish(string twinId, TwinConnectivity connectivity, long shadowVersion,
        Func<string, TagSnapshot?> snapshotOf, Func<IReadOnlyList<TagSnapshot>> allTags)
    {
        if (!_pending) return;
        if (!Any) { Discard(); return; }
        IReadOnlyList<TagSnapshot> tags;
        if (_allTags) tags = allTags();
        else
        {
            var list = new List<TagSnapshot>(_tags.Count);
            foreach (var name in _tags) if (snapshotOf(name) is { } snapshot) list.Add(snapshot);
            tags = list;
        }
        IReadOnlyList<AlarmEvent> alarms = _alarms.Count == 0 ? [] : [.. _alarms];
        IReadOnlyList<CommandRecord> commands = _commands.Count == 0 ? [] : [.. _commands];
        Discard();
        _watchers.Publish(p => new TwinChange(twinId, p, connectivity, tags, alarms, commands, shadowVersion),
            static (o, c) => o.OnTwinChangedAsync(c));
    }
}
