using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Silo.Replay;

/// <summary>The fingerprint of a replay's outcome: SHA-256 over every twin's final state (tags with values, qualities,
/// timestamps and alarm levels; counters; status), its alarm history, its command transitions (ids left out: loops
/// draw them at random) and every loop's final output and history, in twin and loop id order. Two replays of the same
/// recording with the same changes give the same hash.</summary>
public sealed class ReplayHash
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>A value as text that does not depend on culture (numbers by their bits' round-trip form).</summary>
    public static string Text(TagValue value) => value.DataType switch
    {
        TagDataType.None => "none",
        TagDataType.String => "s:" + value.AsString(),
        _ when value.TryGetNumber(out double d) => value.DataType + ":" + d.ToString("R", CultureInfo.InvariantCulture),
        _ => value.DataType + ":" + value,
    };

    /// <summary>Adds the state a twin was seeded with at the replay's start.</summary>
    public void AddSeed(string twinId, IReadOnlyList<SeededTag> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var b = new StringBuilder();
        b.Append("seed|").Append(twinId).Append('|').Append(tags.Count).Append('\n');
        foreach (var t in tags)
            b.Append("seeded|").Append(t.Reading.Tag).Append('|').Append(Text(t.Reading.Value)).Append('|').Append(t.Reading.Quality).Append('|')
                .Append(t.Reading.SourceTimestamp.UtcTicks).Append('|').Append(t.Reading.Sequence).Append('|').Append(t.ReceivedAt.UtcTicks).Append('\n');
        _hash.AppendData(Encoding.UTF8.GetBytes(b.ToString()));
    }

    /// <summary>Adds a twin's final state.</summary>
    public void AddTwin(TwinSnapshot snapshot, IReadOnlyList<AlarmEvent> alarms, (string Hash, long Transitions) commands)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(alarms);
        var b = new StringBuilder();
        b.Append("twin|").Append(snapshot.TwinId).Append('|').Append(snapshot.Connectivity).Append('|').Append(snapshot.AppliedCount)
            .Append('|').Append(snapshot.StaleCount).Append('|').Append(snapshot.DuplicateCount).Append('|').Append(snapshot.RejectedCount).Append('\n');
        foreach (var t in snapshot.Tags)
            b.Append("tag|").Append(t.Name).Append('|').Append(Text(t.Value)).Append('|').Append(t.Quality).Append('|').Append(t.SourceTimestamp.UtcTicks)
                .Append('|').Append(t.ReceivedTimestamp.UtcTicks).Append('|').Append(t.Sequence).Append('|').Append(t.Alarm).Append('\n');
        var s = snapshot.Status;
        b.Append("status|").Append(s.State).Append('|').Append(s.ActiveAlarms).Append('|').Append(s.PlannedTime.Ticks).Append('|').Append(s.RunTime.Ticks)
            .Append('|').Append(s.TotalCount).Append('|').Append(s.GoodCount).Append('\n');
        foreach (var a in alarms)
            b.Append("alarm|").Append(a.Tag).Append('|').Append(a.Level).Append('|').Append(a.Raised).Append('|')
                .Append(a.Value.ToString("R", CultureInfo.InvariantCulture)).Append('|').Append(a.Timestamp.UtcTicks).Append('\n');
        b.Append("commands|").Append(commands.Transitions).Append('|').Append(commands.Hash).Append('\n');
        _hash.AppendData(Encoding.UTF8.GetBytes(b.ToString()));
    }

    /// <summary>Adds a loop's final state.</summary>
    public void AddLoop(ControlLoopStatus loop)
    {
        ArgumentNullException.ThrowIfNull(loop);
        var b = new StringBuilder();
        b.Append("loop|").Append(loop.LoopId).Append('|').Append(loop.LastOutput?.ToString("R", CultureInfo.InvariantCulture)).Append('|').Append(loop.IterationCount).Append('\n');
        foreach (var i in loop.History)
            b.Append("iteration|").Append(i.At.UtcTicks).Append('|').Append(i.Measured?.ToString("R", CultureInfo.InvariantCulture)).Append('|')
                .Append(i.Output.ToString("R", CultureInfo.InvariantCulture)).Append('|').Append(i.Safe).Append('|').Append(i.CommandStatus).Append('\n');
        _hash.AppendData(Encoding.UTF8.GetBytes(b.ToString()));
    }

    /// <summary>The hash, hexadecimal.</summary>
    public string Finish() => Convert.ToHexString(_hash.GetHashAndReset()).ToLowerInvariant();
}
