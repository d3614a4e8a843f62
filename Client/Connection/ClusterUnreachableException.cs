namespace Imv.Client.Connection;

/// <summary>The SDK could not reach the cluster: names the cluster, the gateways it tried, for how long and why.</summary>
public sealed class ClusterUnreachableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ClusterUnreachableException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>Creates the exception.</summary>
    public ClusterUnreachableException() { }

    /// <summary>Creates the exception.</summary>
    public ClusterUnreachableException(string message) : base(message) { }
}
