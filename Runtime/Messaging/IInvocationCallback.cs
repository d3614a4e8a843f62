namespace Imv.Runtime.Messaging;

/// <summary>The activation running a request: told when the grain method finished, and given the
/// continuations of the grain code to run as turns.</summary>
public interface IInvocationCallback
{
    /// <summary>The grain method of <paramref name="message"/> returned or threw.</summary>
    void OnInvocationFinished(Message message);

    /// <summary>A continuation of <paramref name="message"/>'s grain code is ready to run.</summary>
    void PostContinuation(Message message, SendOrPostCallback callback, object? state);
}
