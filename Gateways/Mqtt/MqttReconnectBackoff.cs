namespace Imv.Gateways.Mqtt;

/// <summary>How long to wait before a reconnect attempt.</summary>
internal static class MqttReconnectBackoff
{
    /// <summary>Exponential backoff from <see cref="MqttClientOptions.ReconnectMinDelay"/> to
    /// <see cref="MqttClientOptions.ReconnectMaxDelay"/> with "equal jitter": half the delay fixed, half random, so that
    /// many clients of a restarted broker do not reconnect in lockstep.</summary>
    public static TimeSpan Delay(MqttClientOptions options, int attempt)
    {
        var max = options.ReconnectMaxDelay.TotalMilliseconds;
        var delay = Math.Min(max, options.ReconnectMinDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30)));
        return TimeSpan.FromMilliseconds(delay / 2 + Random.Shared.NextDouble() * delay / 2);
    }
}
