namespace Imv.Runtime.Messaging;

/// <summary>Sends the outcome of a request that arrived from another silo back to its caller.</summary>
public interface IResponder
{
    /// <summary>Sends a result.</summary>
    void SendResult<TResult>(Request<TResult> request, TResult result);

    /// <summary>Sends an exception.</summary>
    void SendException(Message request, Exception exception);
}
