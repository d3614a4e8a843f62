namespace Imv.Persistence.Sqlite;

/// <summary>A write or clear queued to the group-commit writer; completes with the record's new ETag.</summary>
internal sealed class PendingWrite(string stateName, string grainId, ReadOnlyMemory<byte> data, bool isClear, string? expectedETag)
    : TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    /// <summary>A request for a checkpoint, queued behind the writes before it.</summary>
    public static PendingWrite CheckpointRequest() => new("", "", default, isClear: false, null) { IsCheckpointRequest = true };

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
    public Exception? Failure { get; set; }

    public void Complete() => TrySetResult(NewETag!);

    public void Fail(Exception e) => TrySetException(e);
}
