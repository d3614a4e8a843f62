namespace Imv.Runtime;

/// <summary>What generated proxies call to send a request: the silo's (or client's) message router.</summary>
public interface IGrainReferenceRuntime
{
    /// <summary>The factory that made the reference (for grain references passed as arguments).</summary>
    IGrainFactory GrainFactory { get; }

    /// <summary>Routes <paramref name="request"/> to <paramref name="target"/>; the request completes itself
    /// with the result, an exception, or a timeout.</summary>
    void SendRequest(GrainReference target, Messaging.Message request);
}
