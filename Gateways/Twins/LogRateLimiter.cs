namespace Imv.Gateways.Twins;

/// <summary>At most N log lines per second: a flood of bad readings must not fill the disk. Thread-safe.</summary>
internal sealed class LogRateLimiter(int perSecond)
{
    private readonly object _lock = new();
    private DateTimeOffset _windowStart;
    private int _taken;

    /// <summary>True when a line may be written now.</summary>
    public bool TryTake(DateTimeOffset now)
    {
        lock (_lock)
        {
            if (now - _windowStart >= TimeSpan.FromSeconds(1))
            {
                _windowStart = now;
                _taken = 0;
            }
            if (_taken >= perSecond) return false;
            _taken++;
            return true;
        }
    }
}
