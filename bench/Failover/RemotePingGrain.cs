using Orleans;
using Orleans.Placement;
using Orleans.Runtime;

namespace Imv.Bench.Failover;

/// <summary>The smallest grain call, placed on the silo that first calls it: the peer process activates all of them
/// so that the bench's own silo calls across processes.</summary>
public interface IRemotePingGrain : IGrainWithIntegerKey
{
    /// <summary>Returns its argument plus one.</summary>
    ValueTask<int> PingAsync(int value);

    /// <summary>The name of the silo the grain is active on.</summary>
    Task<string> WhereAsync();
}

/// <summary>An empty grain on the silo that first called it.</summary>
[PreferLocalPlacement]
public sealed class RemotePingGrain(ILocalSiloDetails silo) : Grain, IRemotePingGrain
{
    /// <inheritdoc />
    public ValueTask<int> PingAsync(int value) => new(value + 1);

    /// <inheritdoc />
    public Task<string> WhereAsync() => Task.FromResult(silo.Name);
}
