namespace Imv.Gateways.Mqtt.Tests;

/// <summary>Waits on conditions with generous timeouts instead of sleeping.</summary>
public static class Wait
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(20);

    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Default);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting until {what}.");
            await Task.Delay(10);
        }
    }

    public static async Task<T> ReadAsync<T>(System.Threading.Channels.ChannelReader<T> reader, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Default);
        return await reader.ReadAsync(cts.Token);
    }

    public static CancellationToken Token(TimeSpan? timeout = null) => new CancellationTokenSource(timeout ?? Default).Token;
}
