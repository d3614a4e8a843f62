using Imv.Runtime.Messaging;
using Imv.Runtime.Serialization;

namespace Imv.Runtime;

/// <summary>Activation and deactivation run as turns of the activation, so the grain's OnActivateAsync and
/// OnDeactivateAsync see the same single-threaded world as its calls.</summary>
internal sealed class LifecycleRequest(ActivationData activation, bool activate) : Request<Unit>
{
    public DeactivationReason Reason { get; init; }

    public override uint InterfaceId => 0;

    public override uint MethodId => activate ? 0u : 1u;

    public override string MethodName => activate ? "OnActivateAsync" : "OnDeactivateAsync";

    protected override ValueTask<Unit> InvokeCore(object grain) =>
        FromTask(activate ? activation.ActivateCoreAsync() : activation.DeactivateCoreAsync(Reason));

    public override void WriteArguments(ref CodecWriter writer) => throw new NotSupportedException();

    public override void ReadArguments(ref CodecReader reader) => throw new NotSupportedException();

    public override void WriteResult(ref CodecWriter writer, Unit result) { }

    public override Unit ReadResult(ref CodecReader reader, WireType wireType) => default;
}
