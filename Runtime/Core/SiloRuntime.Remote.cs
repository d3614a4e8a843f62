using System.Diagnostics;
using Imv.Runtime.Messaging;
using Imv.Runtime.Placement;
using Imv.Runtime.Serialization;

namespace Imv.Runtime;

/// <summary>The part of the message path that crosses silos: the envelope is encoded as
/// [header length][header fields][argument or result fields] and decoded into the same generated request
/// type on the other side.</summary>
public sealed partial class SiloRuntime
{
    private enum FrameKind : byte { Request = 0, Result = 1, Exception = 2 }

    private void SendRemote(string silo, Message message)
    {
        long correlation = 0;
        if ((message.Flags & MessageFlags.OneWay) == 0)
        {
            correlation = Interlocked.Increment(ref _nextCorrelation);
            _remoteCallbacks[correlation] = message;
            RemoteSilo.AddOrUpdate(message, silo);
        }
        byte[] frame;
        try
        {
            frame = EncodeRequest(message, correlation);
        }
        catch (Exception e)
        {
            if (correlation != 0) _remoteCallbacks.TryRemove(correlation, out _);
            message.Fail(e);
            return;
        }
        if (!_transport.Send(silo, frame))
        {
            if (correlation != 0) _remoteCallbacks.TryRemove(correlation, out _);
            Log.SiloUnreachable(silo, message.MethodName, message.TargetId);
            message.Fail(new SiloUnavailableException($"Silo {silo}, owner of {message.TargetId}, is unreachable; call {message.MethodName} was not delivered."));
        }
    }

    /// <summary>Which silo each remote call went to, so calls to a silo that died fail at once.</summary>
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<Message, string> RemoteSilo = new();

    private byte[] EncodeRequest(Message message, long correlation)
    {
        var header = new CodecWriter(128) { Session = Session };
        var body = new CodecWriter(256) { Session = Session };
        try
        {
            header.WriteTag(1, WireType.VarInt); header.WriteVarUInt64((byte)FrameKind.Request);
            header.WriteTag(2, WireType.VarInt); header.WriteVarInt64(correlation);
            header.WriteTag(3, WireType.LengthPrefixed); header.WriteUtf8(Name);
            header.WriteTag(4, WireType.LengthPrefixed); header.WriteUtf8(message.TargetId.Type);
            header.WriteTag(5, WireType.LengthPrefixed); header.WriteUtf8(message.TargetId.Key);
            header.WriteTag(6, WireType.VarInt); header.WriteVarUInt64(message.InterfaceId);
            header.WriteTag(7, WireType.VarInt); header.WriteVarUInt64(message.MethodId);
            header.WriteTag(8, WireType.VarInt); header.WriteVarUInt64((byte)message.Flags);
            long remainingMs = message.Deadline == 0 ? 0 : Math.Max(1, (long)Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), message.Deadline).TotalMilliseconds);
            header.WriteTag(9, WireType.VarInt); header.WriteVarInt64(remainingMs);
            for (var c = message.CallChain; c is not null; c = c.Parent)
            {
                header.WriteTag(10, WireType.LengthPrefixed); header.WriteUtf8(c.GrainId.Type);
                header.WriteTag(16, WireType.VarInt); header.WriteVarInt64(c.RequestId);
                header.WriteTag(11, WireType.LengthPrefixed); header.WriteUtf8(c.GrainId.Key);
            }
            if (message.TraceParent != default)
            {
                header.WriteTag(14, WireType.LengthPrefixed); header.WriteUtf8(message.TraceParent.TraceId.ToHexString());
                header.WriteTag(15, WireType.LengthPrefixed); header.WriteUtf8(message.TraceParent.SpanId.ToHexString());
            }
            message.WriteArguments(ref body);
            return Frame(header.WrittenSpan, body.WrittenSpan);
        }
        finally
        {
            header.Dispose();
            body.Dispose();
        }
    }

    private static byte[] Frame(ReadOnlySpan<byte> header, ReadOnlySpan<byte> body)
    {
        var writer = new CodecWriter(header.Length + body.Length + 8);
        try
        {
            writer.WriteLengthPrefixed(header);
            writer.WriteRaw(body);
            return writer.ToArray();
        }
        finally
        {
            writer.Dispose();
        }
    }

    private void OnTransportMessage(ReadOnlyMemory<byte> frame)
    {
        try
        {
            var outer = new CodecReader(frame.Span);
            var headerBytes = outer.ReadLengthPrefixed();
            int bodyStart = outer.Position;
            var header = new CodecReader(headerBytes);
            FrameKind kind = FrameKind.Request;
            long correlation = 0, remainingMs = 0;
            string? source = null, type = null, key = null, message = null, exceptionType = null, chainType = null, traceId = null, spanId = null;
            uint interfaceId = 0, methodId = 0;
            byte flags = 0;
            var chain = new List<(GrainId, long)>();
            long chainRequest = 0;
            while (!header.End)
            {
                var (id, wt) = header.ReadTag();
                switch (id)
                {
                    case 1: kind = (FrameKind)header.ReadVarUInt64(); break;
                    case 2: correlation = header.ReadVarInt64(); break;
                    case 3: source = header.ReadUtf8(); break;
                    case 4: type = header.ReadUtf8(); break;
                    case 5: key = header.ReadUtf8(); break;
                    case 6: interfaceId = (uint)header.ReadVarUInt64(); break;
                    case 7: methodId = (uint)header.ReadVarUInt64(); break;
                    case 8: flags = (byte)header.ReadVarUInt64(); break;
                    case 9: remainingMs = header.ReadVarInt64(); break;
                    case 10: chainType = header.ReadUtf8(); break;
                    case 16: chainRequest = header.ReadVarInt64(); break;
                    case 11: chain.Add((new GrainId(chainType ?? "", header.ReadUtf8()), chainRequest)); break;
                    case 12: exceptionType = header.ReadUtf8(); break;
                    case 13: message = header.ReadUtf8(); break;
                    case 14: traceId = header.ReadUtf8(); break;
                    case 15: spanId = header.ReadUtf8(); break;
                    default: header.SkipField(wt); break;
                }
            }
            var body = frame.Span[bodyStart..];
            if (kind == FrameKind.Request)
            {
                var info = GrainTypeRegistry.FindInterface(interfaceId)
                    ?? throw new SerializationException($"Unknown interface id {interfaceId} in a request from {source}.");
                var request = info.RequestFactory(methodId)
                    ?? throw new SerializationException($"Unknown method id {methodId} of {info.Name} in a request from {source}.");
                var reader = new CodecReader(body) { Session = Session };
                request.ReadArguments(ref reader);
                request.TargetId = new GrainId(string.Intern(type ?? ""), key ?? "");
                request.Flags = (MessageFlags)flags;
                request.Deadline = remainingMs == 0 ? 0 : Stopwatch.GetTimestamp() + remainingMs * Stopwatch.Frequency / 1000;
                CallChain? callChain = null;
                for (int i = chain.Count - 1; i >= 0; i--) callChain = new CallChain(chain[i].Item1, chain[i].Item2, callChain);
                request.CallChain = callChain;
                if (traceId is { Length: 32 } && spanId is { Length: 16 })
                    request.TraceParent = new ActivityContext(ActivityTraceId.CreateFromString(traceId), ActivitySpanId.CreateFromString(spanId), ActivityTraceFlags.Recorded, isRemote: true);
                if (correlation != 0 && source is not null) request.Responder = new RemoteResponder(this, source, correlation);
                Route(request);
                return;
            }
            if (!_remoteCallbacks.TryRemove(correlation, out var pending)) return; // timed out or failed already
            if (kind == FrameKind.Result)
            {
                var reader = new CodecReader(body) { Session = Session };
                pending.CompleteFromResponse(ref reader);
            }
            else
            {
                pending.Fail(RemoteExceptions.Rebuild(exceptionType ?? "System.Exception", message ?? ""));
            }
        }
        catch (Exception e)
        {
            Log.MalformedMessage(e);
        }
    }


    internal void SendResult<TResult>(string silo, long correlation, Request<TResult> request, TResult result)
    {
        var header = new CodecWriter(32);
        var body = new CodecWriter(128) { Session = Session };
        try
        {
            header.WriteTag(1, WireType.VarInt); header.WriteVarUInt64((byte)FrameKind.Result);
            header.WriteTag(2, WireType.VarInt); header.WriteVarInt64(correlation);
            request.WriteResult(ref body, result);
            _transport.Send(silo, Frame(header.WrittenSpan, body.WrittenSpan));
        }
        catch (Exception e)
        {
            SendException(silo, correlation, e);
        }
        finally
        {
            header.Dispose();
            body.Dispose();
        }
    }

    internal void SendException(string silo, long correlation, Exception exception)
    {
        var header = new CodecWriter(256);
        try
        {
            header.WriteTag(1, WireType.VarInt); header.WriteVarUInt64((byte)FrameKind.Exception);
            header.WriteTag(2, WireType.VarInt); header.WriteVarInt64(correlation);
            header.WriteTag(12, WireType.LengthPrefixed); header.WriteUtf8(exception.GetType().FullName ?? "System.Exception");
            header.WriteTag(13, WireType.LengthPrefixed); header.WriteUtf8(exception.Message);
            _transport.Send(silo, Frame(header.WrittenSpan, default));
        }
        finally
        {
            header.Dispose();
        }
    }

    /// <summary>Fails calls waiting on silos that are no longer members (all of them when <paramref name="table"/> is null).</summary>
    private void FailRemoteCallbacks(PartitionTable? table)
    {
        foreach (var (correlation, message) in _remoteCallbacks)
        {
            if (!RemoteSilo.TryGetValue(message, out var silo)) continue;
            if (table is not null && _membership.IsAlive(silo)) continue;
            if (_remoteCallbacks.TryRemove(correlation, out _))
                message.Fail(new SiloUnavailableException($"Silo {silo} left the cluster before answering {message.MethodName} to {message.TargetId}."));
        }
    }

    private sealed class RemoteResponder(SiloRuntime silo, string caller, long correlation) : IResponder
    {
        public void SendResult<TResult>(Request<TResult> request, TResult result) => silo.SendResult(caller, correlation, request, result);

        public void SendException(Message request, Exception exception) => silo.SendException(caller, correlation, exception);
    }
}

/// <summary>Turns an exception type name and message from another silo back into an exception of that type
/// where one can be made, else a <see cref="RemoteGrainException"/> naming it.</summary>
internal static class RemoteExceptions
{
    public static Exception Rebuild(string typeName, string message)
    {
        var type = Type.GetType(typeName) ?? AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(typeName)).FirstOrDefault(t => t is not null);
        if (type is not null && typeof(Exception).IsAssignableFrom(type))
        {
            try
            {
                if (Activator.CreateInstance(type, message) is Exception e) return e;
            }
            catch (MissingMethodException) { }
        }
        return new RemoteGrainException(typeName, message);
    }
}

/// <summary>An exception of a type this process cannot construct was thrown by a grain in another silo.</summary>
public sealed class RemoteGrainException(string originalTypeName, string message) : Exception($"{originalTypeName}: {message}")
{
    /// <summary>The full name of the exception type thrown by the grain.</summary>
    public string OriginalTypeName { get; } = originalTypeName;
}
