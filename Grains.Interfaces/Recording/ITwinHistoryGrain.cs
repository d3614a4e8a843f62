using Imv.Grains.Interfaces.Access;
using Orleans;

namespace Imv.Grains.Interfaces.Recording;

/// <summary>Time travel for grain clients (the SDK): the questions <c>GET /api/twins/{id}?at=</c> and
/// <c>/history</c> answer over HTTP, asked of the plant recording of the silo that runs the call. A stateless worker
/// (key 0): it runs on the silo a client's call enters by, so a client reads that silo's recording, as an HTTP
/// request reads the recording of the silo that answers it.</summary>
public interface ITwinHistoryGrain : IGrainWithIntegerKey
{
    /// <summary>The twin <paramref name="twinId"/> as it was at <paramref name="at"/>.</summary>
    [ClientRight(Right.Read, TargetKind.Twin, TargetArgument = 0)]
    Task<HistoryAnswer<TwinAsOf>> GetTwinAtAsync(string twinId, DateTimeOffset at);

    /// <summary>The readings of <paramref name="tag"/> accepted between <paramref name="from"/> and <paramref name="to"/>
    /// (null: the recording's first or last instant), at most <paramref name="maxPoints"/> points (downsampled beyond).</summary>
    [ClientRight(Right.Read, TargetKind.Twin, TargetArgument = 0)]
    Task<HistoryAnswer<TagHistory>> GetTagHistoryAsync(string twinId, string tag, DateTimeOffset? from, DateTimeOffset? to, int maxPoints);
}
