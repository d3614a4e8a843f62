using BenchmarkDotNet.Attributes;
using System.Threading.Channels;
using Imv.Bench.Grid;

namespace Imv.Bench.Ping;

/// <summary>BenchmarkDotNet view of the same comparison as the ping scenario.</summary>
[MemoryDiagnoser]
public class PingBenchmarks
{
    private BenchSilo _cluster = null!;
    private IPingGrain _grain = null!;
    private Channel<int> _requests = null!;
    private Channel<int> _responses = null!;
    private Task _worker = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _cluster = await BenchSilo.StartAsync("memory", null, CancellationToken.None);
        _grain = _cluster.Grains.GetGrain<IPingGrain>(0);
        await _grain.PingAsync(0);
        _requests = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        _responses = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        _worker = Task.Run(async () =>
        {
            await foreach (var r in _requests.Reader.ReadAllAsync()) await _responses.Writer.WriteAsync(r + 1);
        });
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _requests.Writer.Complete();
        await _worker;
        await _cluster.DisposeAsync();
    }

    [Benchmark(Baseline = true)]
    public async Task<int> ChannelRoundTrip()
    {
        await _requests.Writer.WriteAsync(1);
        return await _responses.Reader.ReadAsync();
    }

    [Benchmark]
    public ValueTask<int> GrainCall() => _grain.PingAsync(1);
}
