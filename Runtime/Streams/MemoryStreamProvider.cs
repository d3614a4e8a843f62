using System.Collections.Concurrent;
using Imv.Runtime.Messaging;
using Imv.Runtime.Serialization;

namespace Imv.Runtime.Streams;

/// <summary>An in-memory stream provider within one silo: explicit subscribers (delegates; those made inside
/// a grain run as turns of that grain) and implicit subscribers (grain classes marked
/// <see cref="ImplicitStreamSubscriptionAttribute"/>, addressed by the stream key). Events carry a sequence
/// number per stream, ready for a persistent provider with replay.</summary>
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
                    var request = new DeliveryRequest<T>((_, _, i, t) => handler(i, t), id, item, token) { TargetId = s.Owner.GrainId };
                    s.Owner.EnqueueInternal(request);
                    deliveries.Add(request.AsUntypedTask());
                }
            }
            foreach (var grainClass in provider.ImplicitSubscribers(id.Namespace))
            {
                var request = new DeliveryRequest<T>(static (grain, streamId, i, t) =>
                    grain is IStreamEventHandler<T> h ? h.OnStreamEventAsync(streamId, i, t)
                        : throw new InvalidOperationException($"{grain.GetType().FullName} subscribes implicitly to a stream of {typeof(T).Name} but does not implement IStreamEventHandler<{typeof(T).Name}>."),
                    id, item, token)
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

    /// <summary>A stream event delivered as a turn of the subscribing grain.</summary>
    private sealed class DeliveryRequest<T>(Func<object, StreamId, T, StreamSequenceToken?, Task> deliver, StreamId streamId, T item, StreamSequenceToken? token) : Request<Unit>
    {
        public override uint InterfaceId => 0;
        public override uint MethodId => 4;
        public override string MethodName => "Stream.OnNext " + streamId;

        protected override ValueTask<Unit> InvokeCore(object grain) => FromTask(deliver(grain, streamId, item, token));

        public override void WriteArguments(ref CodecWriter writer) =>
            throw new NotSupportedException("The in-memory stream provider delivers only within one silo.");
        public override void ReadArguments(ref CodecReader reader) => throw new NotSupportedException();
        public override void WriteResult(ref CodecWriter writer, Unit result) { }
        public override Unit ReadResult(ref CodecReader reader, WireType wireType) => default;
    }
}
