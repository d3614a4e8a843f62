using Imv.Runtime.Messaging;

namespace Imv.Runtime;

/// <summary>Activation and deactivation run as turns of the activation, so the grain's OnActivateAsync and
/// OnDeactivateAsync see the same single-threaded world as its calls.</summary>
internal sealed class LifecycleRequest(ActivationData activation, bool activate) : LocalRequest
{
    public DeactivationReason Reason { get; init; }

    public override uint MethodId => activate ? 0u : 1u;

    public override string MethodName => activate ? "OnActivateAsync" : "OnDeactivateAsync";

    protected override ValueTask<Unit> InvokeCore(object grain) =>
        FromTask(activate ? activation.ActivateCoreAsync() : activation.DeactivateCoreAsync(Reason));
}
