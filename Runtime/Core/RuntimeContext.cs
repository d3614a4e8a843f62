using Imv.Runtime.Messaging;

namespace Imv.Runtime;

/// <summary>What the current thread is running on behalf of the runtime. Set for the length of one turn
/// slice; calls made from grain code read it to extend the call chain.</summary>
internal static class RuntimeContext
{
    /// <summary>The activation whose grain object is being constructed on this thread.</summary>
    [ThreadStatic] internal static IGrainContext? ActivatingContext;

    /// <summary>The request whose turn is running on this thread.</summary>
    [ThreadStatic] internal static Message? CurrentMessage;

    /// <summary>The activation whose turn is running on this thread.</summary>
    [ThreadStatic] internal static ActivationData? CurrentActivation;
}
