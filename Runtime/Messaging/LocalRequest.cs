using Imv.Runtime.Serialization;

namespace Imv.Runtime.Messaging;

/// <summary>A request the runtime makes for itself inside one silo (activation steps, timer ticks, reminder
/// firings): it has no wire form, and encoding it fails naming what it is.</summary>
internal abstract class LocalRequest : Request<Unit>
{
    public sealed override uint InterfaceId => 0;

    public sealed override void WriteArguments(ref CodecWriter writer) =>
        throw new NotSupportedException($"{MethodName} is delivered only within the silo that made it.");

    public sealed override void ReadArguments(ref CodecReader reader) =>
        throw new NotSupportedException($"{MethodName} has no wire form.");

    public sealed override void WriteResult(ref CodecWriter writer, Unit result) { }

    public sealed override Unit ReadResult(ref CodecReader reader, WireType wireType) => default;
}
