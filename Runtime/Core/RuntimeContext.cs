namespace Imv.Runtime;

/// <summary>What the current thread is running on behalf of the runtime.</summary>
internal static class RuntimeContext
{
    /// <summary>The activation whose grain object is being constructed on this thread.</summary>
    [ThreadStatic] internal static IGrainContext? ActivatingContext;
}
