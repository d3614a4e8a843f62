using System.Diagnostics;
using Orleans;

namespace Imv.Bench.Ping;

/// <summary>Calls a <see cref="IPingGrain"/> from inside a grain, as twins call their loops and organizations: the
/// cost of a grain-to-grain call, next to the cost of a call from host code.</summary>
public interface IPingCallerGrain : IGrainWithIntegerKey
{
    /// <summary>Awaits <paramref name="calls"/> calls to ping grain <paramref name="target"/> one after the other;
    /// returns the elapsed time in nanoseconds.</summary>
    Task<double> CallAsync(long target, int calls);
}

/// <summary>The caller (<see cref="IPingCallerGrain"/>).</summary>
public sealed class PingCallerGrain : Grain, IPingCallerGrain
{
    /// <inheritdoc />
    public async Task<double> CallAsync(long target, int calls)
    {
        var ping = GrainFactory.GetGrain<IPingGrain>(target);
        await ping.PingAsync(0);
        long started = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++) await ping.PingAsync(i);
        return Stopwatch.GetElapsedTime(started).TotalNanoseconds;
    }
}
