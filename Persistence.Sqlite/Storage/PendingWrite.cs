namespace Imv.Persistence.Sqlite;

/// <summary>A write or clear queued to the group-commit writer; completes with the record's new ETag.</summary>
internal sealed class PendingWrite(string stateName, string grainId, ReadOnlyMemory<byte> data, bool isClear, string? expectedETag)
    : TaskCompletionSource<string>(ContinuationOptions())
{
    /// <summary>A request for a checkpoint, queued behind the writes before it.</summary>
    public static PendingWrite CheckpointRequest() => new("", "", default, isClear: false, null) { IsCheckpointRequest = true };

    /// <summary>A write made on a grain's turn completes on the thread that answers it (the writer itself for a small
    /// batch, see <see cref="BatchCompletion"/>): its awaiter resumes the grain on the grain's own scheduler in any
    /// case, so handing the completion to the thread pool first would only add a hop (and a wait for a free pool
    /// thread) between the commit and the grain. Anyone else (code outside a grain, which could run long on the writer
    /// thread) is resumed through the thread pool.</summary>
    private static TaskCreationOptions ContinuationOptions() =>
        TaskScheduler.Current != TaskScheduler.Default && SynchronizationContext.Current is null
            ? TaskCreationOptions.None
            : TaskCreationOptions.RunContinuationsAsynchronously;

    public bool IsCheckpointRequest { get; private init; }

    public bool CompleteIfCheckpointRequest()
    {
        if (!IsCheckpointRequest) return false;
        TrySetResult("");
        return true;
    }

    public string StateName { get; } = stateName;
    public string GrainId { get; } = grainId;
    public ReadOnlyMemory<byte> Data { get; } = data;
    public bool IsClear { get; } = isClear;
    public string? ExpectedETag { get; } = expectedETag;
    public string? NewETag { get; set; }

    /// <summary>The writer handed <see cref="Data"/> over: a whole array it never changes again.</summary>
    public bool HandedOver { get; init; }

    /// <summary>The bytes as an array the store may keep: <see cref="Data"/>'s own when handed over, else a copy.</summary>
    public byte[] DataToKeep() => (HandedOver ? WholeArray(Data) : null) ?? Data.ToArray();

    /// <summary>The bytes as an array for the moment of a statement (not kept): <see cref="Data"/>'s own when it spans a
    /// whole array, else a copy.</summary>
    public byte[] DataAsArray() => WholeArray(Data) ?? Data.ToArray();

    private static byte[]? WholeArray(ReadOnlyMemory<byte> data) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(data, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : null;
    public Exception? Failure { get; set; }

    public void Complete() => TrySetResult(NewETag!);

    public void Fail(Exception e) => TrySetException(e);
}
