namespace Imv.Gateways.Mqtt;

/// <summary>Tells that a client's connection changed state.</summary>
public sealed class MqttConnectionStateChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public MqttConnectionStateChangedEventArgs(MqttConnectionState state, bool sessionPresent, Exception? cause)
    {
        State = state;
        SessionPresent = sessionPresent;
        Cause = cause;
    }

    /// <summary>The new state.</summary>
    public MqttConnectionState State { get; }
    /// <summary>On Connected: whether the broker resumed the session.</summary>
    public bool SessionPresent { get; }
    /// <summary>On ConnectionLost: why.</summary>
    public Exception? Cause { get; }
}
