using Orleans;

namespace Imv.Bench.Ping;

/// <summary>The smallest grain call: an integer in, an integer out.</summary>
public interface IPingGrain : IGrainWithIntegerKey
{
    /// <summary>Returns its argument plus one.</summary>
    ValueTask<int> PingAsync(int value);
}

/// <summary>An empty grain: no fields of its own, so its footprint is the runtime's.</summary>
public sealed class PingGrain : Grain, IPingGrain
{
    /// <inheritdoc />
    public ValueTask<int> PingAsync(int value) => new(value + 1);
}
