using System.Collections.Concurrent;
using Imv.Runtime.Messaging;
using Imv.Runtime.Serialization;

namespace Imv.Runtime.Streams;

/// <summary>An in-memory stream provider within one silo: explicit subscribers (delegates; those made inside
/// a grain run as turns of that grain) and implicit subscribers (grain classes marked
/// <see cref="ImplicitStreamSubscriptionAttribute"/>, addressed by the stream key and delivered to whichever
/// silo owns that grain). Events carry a sequence number per stream, ready for a persistent provider with
/// replay. Explicit subscriptions live in the silo where they were made.</summary>
public sealed class MemoryStreamProvider : IStreamProvider
{
    private readonly SiloRuntime _silo;
    private readonly ConcurrentDictionary<StreamId, StreamState> _streams = new();

    internal MemoryStreamProvider(string name, SiloRuntime silo)
    {
        Name = name;
        _silo = silo;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public IAsyncStream<T> GetStream<T>(StreamId id) => new Stream<T>(this, id);

    private StreamState StateOf(StreamId id) => _streams.GetOrAdd(id, static _ => new StreamState());

    private sealed class StreamState
    {
        public readonly List<Subscription> Subscriptions = [];
        public long Sequence;
    }

    private sealed class Subscription(Delegate handler, ActivationData? owner)
    {
        public Delegate Handler { get; } = handler;
        public ActivationData? Owner { get; } = owner;
    }

    private sealed class Stream<T>(MemoryStreamProvider provider, StreamId id) : IAsyncStream<T>
    {
        public StreamId StreamId => id;

        public async Task OnNextAsync(T item, StreamSequenceToken? token = null, CancellationToken cancellationToken = default)
        {
            var state = provider.StateOf(id);
            Subscription[] subscriptions;
            lock (state)
            {
                subscriptions = state.Subscriptions.ToArray();
                token ??= new StreamSequenceToken(++state.Sequence);
            }
            var deliveries = new List<Task>();
            foreach (var s in subscriptions)
            {
                var handler = (Func<T, StreamSequenceToken?, Task>)s.Handler;
                if (s.Owner is null) deliveries.Add(handler(item, token));
                else
                {
                    var request = new DeliveryRequest<T>((_, _, i, t) => handler(i, t), id, item, token) { TargetId = s.Owner.GrainId, Flags = MessageFlags.ActivationBound };
                    s.Owner.Enqueue(request);
                    deliveries.Add(request.AsUntypedTask());
                }
            }
            foreach (var grainClass in provider.ImplicitSubscribers(id.Namespace))
            {
                var request = new DeliveryRequest<T>(ImplicitDelivery<T>, id, item, token)
                { TargetId = new GrainId(grainClass.GrainType, id.Key) };
                request.Deadline = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(provider._silo.Options.DefaultCallTimeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
                provider._silo.Route(request);
                deliveries.Add(request.AsUntypedTask());
            }
            await Task.WhenAll(deliveries).WaitAsync(cancellationToken).ConfigureAwait(true);
        }

        public Task<StreamSubscriptionHandle> SubscribeAsync(Func<T, StreamSequenceToken?, Task> onNext, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(onNext);
            var subscription = new Subscription(onNext, RuntimeContext.CurrentActivation);
            var state = provider.StateOf(id);
            lock (state) state.Subscriptions.Add(subscription);
            return Task.FromResult<StreamSubscriptionHandle>(new Handle(id, () =>
            {
                lock (state) state.Subscriptions.Remove(subscription);
            }));
        }
    }

    private IEnumerable<GrainClassInfo> ImplicitSubscribers(string streamNamespace) =>
        GrainTypeRegistry.ClassesWithImplicitSubscription(streamNamespace);

    private sealed class Handle(StreamId id, Action unsubscribe) : StreamSubscriptionHandle
    {
        public override StreamId StreamId => id;

        public override ValueTask DisposeAsync()
        {
            unsubscribe();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>The interface id of stream deliveries on the wire.</summary>
    internal const uint DeliveryInterfaceId = 1;

    static MemoryStreamProvider() =>
        GrainTypeRegistry.RegisterInterface(typeof(IStreamEventHandler<>), DeliveryInterfaceId, "Imv.Runtime.Streams.StreamDelivery",
            static (_, _) => throw new NotSupportedException("Stream deliveries have no proxy."), CodecRegistry.CreateStreamDelivery);

    internal static Message CreateDelivery<T>() => new DeliveryRequest<T>(ImplicitDelivery<T>, default, default!, null);

    private static Task ImplicitDelivery<T>(object grain, StreamId streamId, T item, StreamSequenceToken? token) =>
        grain is IStreamEventHandler<T> h ? h.OnStreamEventAsync(streamId, item, token)
            : throw new InvalidOperationException($"{grain.GetType().FullName} subscribes implicitly to a stream of {typeof(T).Name} but does not implement IStreamEventHandler<{typeof(T).Name}>.");

    /// <summary>A stream event delivered as a turn of the subscribing grain; implicit deliveries may cross
    /// silos (the item is encoded with its registered codec).</summary>
    private sealed class DeliveryRequest<T>(Func<object, StreamId, T, StreamSequenceToken?, Task> deliver, StreamId streamId, T item, StreamSequenceToken? token) : Request<Unit>
    {
        private StreamId _streamId = streamId;
        private T _item = item;
        private StreamSequenceToken? _token = token;

        public override uint InterfaceId => DeliveryInterfaceId;
        public override uint MethodId => CodecRegistry.TypeKey(typeof(T));
        public override string MethodName => "Stream.OnNext " + _streamId;

        protected override ValueTask<Unit> InvokeCore(object grain) => FromTask(deliver(grain, _streamId, _item, _token));

        public override void WriteArguments(ref CodecWriter writer)
        {
            var (write, _) = CodecRegistry.Get<T>();
            writer.WriteTag(0, WireType.LengthPrefixed); writer.WriteUtf8(_streamId.Namespace);
            writer.WriteTag(1, WireType.LengthPrefixed); writer.WriteUtf8(_streamId.Key);
            if (_token is not null) { writer.WriteTag(2, WireType.VarInt); writer.WriteVarInt64(_token.SequenceNumber); }
            write(ref writer, 3, _item);
        }

        public override void ReadArguments(ref CodecReader reader)
        {
            var (_, read) = CodecRegistry.Get<T>();
            string ns = "", key = "";
            while (!reader.End)
            {
                var (id, wt) = reader.ReadTag();
                switch (id)
                {
                    case 0: ns = reader.ReadUtf8(); break;
                    case 1: key = reader.ReadUtf8(); break;
                    case 2: _token = new StreamSequenceToken(reader.ReadVarInt64()); break;
                    case 3: _item = read(ref reader, wt); break;
                    default: reader.SkipField(wt); break;
                }
            }
            _streamId = new StreamId(ns, key);
        }

        public override void WriteResult(ref CodecWriter writer, Unit result) { }
        public override Unit ReadResult(ref CodecReader reader, WireType wireType) => default;
    }
}
