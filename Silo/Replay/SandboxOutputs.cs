using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Recording;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Silo.Replay;

/// <summary>The sandbox's recorder: what its twins accepted and every command transition they made are its outputs.
/// Each twin's figures are measured with the sandbox's bands (<see cref="PeriodAccumulator"/>) and its commands folded,
/// in the twin's order, into a hash (the command ids are left out: loops draw them at random). Called on the twins'
/// turns: one twin's calls never overlap, so each twin's accumulator needs no lock.</summary>
public sealed class SandboxOutputs : ITwinRecorder
{
    private readonly ConcurrentDictionary<string, TwinOutputs> _twins = new(StringComparer.Ordinal);

    /// <summary>Outputs for the twins of <paramref name="plan"/>, measured with their sandbox configuration.</summary>
    public SandboxOutputs(ReplayPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        foreach (var t in plan.Twins) _twins[t.TwinId] = new TwinOutputs(new PeriodAccumulator(plan.From, t.Sandbox.AlarmBands, t.Sandbox.Status));
    }

    /// <inheritdoc />
    public void RecordReadings(string twinId, DateTimeOffset receivedAt, ReadOnlySpan<TagUpdate> updates, ReadOnlySpan<bool> accepted)
    {
        if (!_twins.TryGetValue(twinId, out var twin)) return;
        if (accepted.IsEmpty) { twin.Figures.Add(receivedAt, updates); return; }
        for (int i = 0; i < updates.Length; i++) if (accepted[i]) twin.Figures.Add(receivedAt, updates.Slice(i, 1));
    }

    /// <inheritdoc />
    public void RecordCommand(string twinId, CommandRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!_twins.TryGetValue(twinId, out var twin)) return;
        twin.Figures.Command(record.Envelope.CommandId, record.Status);
        var e = record.Envelope;
        var last = record.Transitions.Count > 0 ? record.Transitions[^1] : null;
        twin.Commands.AppendData(Encoding.UTF8.GetBytes(string.Join('|', e.IssuerKind, e.Issuer, e.Tag, e.Method, ReplayHash.Text(e.Payload),
            record.Status, last?.At.UtcTicks, record.Reason) + "\n"));
        twin.CommandTransitions++;
    }

    /// <summary>A twin's state at the replay's start (what it was seeded with), counted as the start of its figures.</summary>
    public void Seed(string twinId, ReadOnlySpan<SeededTag> tags)
    {
        if (_twins.TryGetValue(twinId, out var twin)) twin.Figures.Seed(tags);
    }

    /// <summary>The alarms a twin's bands hold active now (right after <see cref="Seed"/>: those active at the start).</summary>
    public IReadOnlyList<(string Tag, AlarmLevel Level)> ActiveAlarms(string twinId) =>
        _twins.TryGetValue(twinId, out var t) ? t.Figures.ActiveAlarms() : [];

    /// <summary>A twin's figures over the replay, up to <paramref name="to"/>.</summary>
    public PeriodFigures Figures(string twinId, DateTimeOffset to) =>
        _twins.TryGetValue(twinId, out var t) ? t.Figures.Figures(twinId, to) : PeriodFigures.Empty;

    /// <summary>The hash of a twin's command transitions so far (and how many), in its order.</summary>
    public (string Hash, long Transitions) Commands(string twinId)
    {
        if (!_twins.TryGetValue(twinId, out var t)) return ("", 0);
        return (Convert.ToHexString(t.Commands.GetCurrentHash()), t.CommandTransitions);
    }

    private sealed class TwinOutputs(PeriodAccumulator figures)
    {
        public PeriodAccumulator Figures { get; } = figures;
        public IncrementalHash Commands { get; } = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        public long CommandTransitions { get; set; }
    }
}
