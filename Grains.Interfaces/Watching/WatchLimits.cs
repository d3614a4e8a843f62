namespace Imv.Grains.Interfaces.Watching;

/// <summary>The rules of grain watches, shared by the grains and the SDK.</summary>
public static class WatchLimits
{
    /// <summary>How long a watch lasts without renewal: a watcher that vanished (a client that died) is dropped
    /// after this. Watchers renew well within it (the SDK every 5 s by default).</summary>
    public static TimeSpan Expiry { get; } = TimeSpan.FromMinutes(2);
}
