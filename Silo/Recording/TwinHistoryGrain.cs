using Imv.Grains.Interfaces.Recording;
using Imv.Persistence.Recording;
using Orleans.Concurrency;

namespace Imv.Silo.Recording;

/// <summary>Answers <see cref="ITwinHistoryGrain"/> from this silo's plant recording (a stateless worker: it runs on
/// the silo the call enters by). The recording's reads block on SQLite, so they run on the thread pool rather than
/// on the grain's scheduler.</summary>
[StatelessWorker]
internal sealed class TwinHistoryGrain(IServiceProvider services) : Grain, ITwinHistoryGrain
{
    private IRecordingReader? Recorder => services.GetService<IRecordingReader>();

    /// <inheritdoc />
    public Task<HistoryAnswer<TwinAsOf>> GetTwinAtAsync(string twinId, DateTimeOffset at)
    {
        var grains = GrainFactory;
        var recorder = Recorder;
        return Task.Run(() => TwinHistoryQuery.AsOfAsync(grains, recorder, twinId, at));
    }

    /// <inheritdoc />
    public Task<HistoryAnswer<TagHistory>> GetTagHistoryAsync(string twinId, string tag, DateTimeOffset? from, DateTimeOffset? to, int maxPoints)
    {
        var grains = GrainFactory;
        var recorder = Recorder;
        return Task.Run(() => TwinHistoryQuery.SeriesAsync(grains, recorder, twinId, tag, from, to, maxPoints));
    }
}
