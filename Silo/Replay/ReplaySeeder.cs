using Imv.Grains.Interfaces.Twins;
using Imv.Persistence.Recording;
using Imv.Silo.Recording;

namespace Imv.Silo.Replay;

/// <summary>Reads the state each twin of a replay was in at the replay's start from the plant recording: every tag's last
/// reading accepted before <see cref="ReplayPlan.From"/> (value, quality, source time, sequence, when accepted), through
/// <see cref="TwinHistory.AsOfAsync"/> (a twin's entries read backwards until each of its tags is found, or its recording's
/// start). Commands, the shadow's desired side and the loops' memory are not in the recording's readings: not seeded.</summary>
public static class ReplaySeeder
{
    /// <summary>The seed of every twin of <paramref name="plan"/> with something recorded before its start, by twin id
    /// (twins without are left out). Reads in parallel, one twin per read.</summary>
    public static async Task<IReadOnlyDictionary<string, SeededTag[]>> ReadAsync(ReplayPlan plan, IRecordingReader recorder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(recorder);
        // The range is [From, To): everything at From itself is fed by the replay, so the state is as of just before it.
        var before = plan.From.AddTicks(-1);
        var seeds = new SeededTag[plan.Twins.Count][];
        await Parallel.ForAsync(0, plan.Twins.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount), CancellationToken = cancellationToken },
            async (i, ct) => seeds[i] = await ReadAsync(recorder, plan.Twins[i], before, ct).ConfigureAwait(false)).ConfigureAwait(false);
        var result = new Dictionary<string, SeededTag[]>(StringComparer.Ordinal);
        for (int i = 0; i < seeds.Length; i++) if (seeds[i].Length > 0) result[plan.Twins[i].TwinId] = seeds[i];
        return result;
    }

    private static async Task<SeededTag[]> ReadAsync(IRecordingReader recorder, ReplayTwin twin, DateTimeOffset before, CancellationToken cancellationToken)
    {
        var names = twin.Original.Tags?.Select(t => t.Name).ToArray() ?? [];
        var asOf = await TwinHistory.AsOfAsync(recorder, twin.TwinId, before, (new DateTimeOffset(0, TimeSpan.Zero), before), names, bands: null, commands: false,
            cancellationToken).ConfigureAwait(false);
        if (asOf.Tags.Count == 0) return [];
        var tags = new SeededTag[asOf.Tags.Count];
        for (int i = 0; i < tags.Length; i++)
        {
            var t = asOf.Tags[i];
            tags[i] = new SeededTag(new TagUpdate(t.Name, t.Value, t.Quality, t.SourceTimestamp, t.Sequence), t.ReceivedTimestamp);
        }
        return tags;
    }
}
