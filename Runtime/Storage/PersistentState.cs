using System.Diagnostics;
using Imv.Runtime.Serialization;

namespace Imv.Runtime;

/// <summary>Something an activation reads when it starts and flushes when it stops.</summary>
internal interface IFlushableState
{
    Task ReadOnActivateAsync(CancellationToken cancellationToken);

    Task FlushAsync(CancellationToken cancellationToken);
}

/// <summary>A grain's persistent state, encoded with its generated codec and stored through the named
/// provider under the activation's fencing epoch.</summary>
internal sealed class PersistentState<TState, TCodec> : IPersistentState<TState>, IFlushableState
    where TState : new()
    where TCodec : IFieldCodec<TState>
{
    private readonly ActivationData _activation;
    private readonly SiloRuntime _silo;
    private readonly string _stateName;
    private readonly string? _storageName;

    public PersistentState(ActivationData activation, SiloRuntime silo, string stateName, string? storageName)
    {
        _activation = activation;
        _silo = silo;
        _stateName = stateName;
        _storageName = storageName;
        State = new TState();
    }

    public TState State { get; set; }

    public string? ETag { get; private set; }

    public bool RecordExists { get; private set; }

    private Storage.IGrainStorage Storage => _silo.GetStorage(_storageName);

    private string StorageLabel => _storageName ?? "default";

    public Task ReadOnActivateAsync(CancellationToken cancellationToken) => ReadStateAsync(cancellationToken);

    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task ReadStateAsync(CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var record = await Storage.ReadAsync(_stateName, _activation.GrainId, cancellationToken).ConfigureAwait(true);
        _silo.Metrics.StorageOperation("read", started);
        if (record is null)
        {
            State = new TState();
            ETag = null;
            RecordExists = false;
            return;
        }
        try
        {
            State = Decode(record.Data);
        }
        catch (SerializationException e)
        {
            throw new StateDecodeException($"State '{_stateName}' of grain {_activation.GrainId} in storage '{StorageLabel}' cannot be decoded ({e.Message}); the stored record was left as it is.", e);
        }
        ETag = record.ETag;
        RecordExists = true;
    }

    public async Task WriteStateAsync(CancellationToken cancellationToken = default)
    {
        byte[] data = Encode(State);
        var started = Stopwatch.GetTimestamp();
        ETag = await Storage.WriteAsync(_stateName, _activation.GrainId, data, ETag, _activation.Epoch, cancellationToken).ConfigureAwait(true);
        _silo.Metrics.StorageOperation("write", started);
        RecordExists = true;
    }

    public async Task ClearStateAsync(CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        await Storage.ClearAsync(_stateName, _activation.GrainId, ETag, _activation.Epoch, cancellationToken).ConfigureAwait(true);
        _silo.Metrics.StorageOperation("clear", started);
        State = new TState();
        ETag = null;
        RecordExists = false;
    }

    private byte[] Encode(TState state)
    {
        var writer = new CodecWriter(512) { Session = Session };
        try
        {
            TCodec.WriteField(ref writer, 0, state);
            return writer.ToArray();
        }
        finally
        {
            writer.Dispose();
        }
    }

    private SerializerSession Session => _silo.Session;

    private TState Decode(byte[] data)
    {
        var reader = new CodecReader(data) { Session = Session };
        TState state = new();
        while (!reader.End)
        {
            var (id, wireType) = reader.ReadTag();
            if (id == 0) state = TCodec.ReadValue(ref reader, wireType);
            else reader.SkipField(wireType);
        }
        return state;
    }
}

/// <summary>A stored state record could not be decoded; the activation fails and the record is kept.</summary>
public sealed class StateDecodeException(string message, Exception inner) : Exception(message, inner);
