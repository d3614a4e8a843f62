namespace Imv.Persistence.Sqlite;

/// <summary>Answers the writes of a committed batch. A few are answered on the writer thread itself (the grains behind
/// them resume on their own schedulers a hop sooner: what a lone control loop's write waits for); a crowd is handed to
/// the thread pool in slices, so the pool's threads run its continuations in parallel while the writer moves on to
/// the next commit (on the writer alone, answering 4,096 writes one after the other held the next commit back).</summary>
internal sealed class BatchCompletion : IThreadPoolWorkItem
{
    /// <summary>Batches of at most this many writes are answered on the writer thread.</summary>
    public const int OnWriterThread = 8;

    private const int SliceSize = 256;

    private readonly PendingWrite[] _writes;
    private readonly int _start, _count;

    private BatchCompletion(PendingWrite[] writes, int start, int count) => (_writes, _start, _count) = (writes, start, count);

    /// <summary>Completes (or fails, with its own failure) every write of <paramref name="batch"/> that is not a
    /// checkpoint request.</summary>
    public static void Answer(List<PendingWrite> batch)
    {
        if (batch.Count <= OnWriterThread)
        {
            foreach (var write in batch) AnswerOne(write);
            return;
        }
        var writes = batch.ToArray();   // the writer reuses its list for the next batch
        for (int start = 0; start < writes.Length; start += SliceSize)
            ThreadPool.UnsafeQueueUserWorkItem(new BatchCompletion(writes, start, Math.Min(SliceSize, writes.Length - start)), preferLocal: false);
    }

    /// <inheritdoc />
    public void Execute()
    {
        for (int i = _start; i < _start + _count; i++) AnswerOne(_writes[i]);
    }

    private static void AnswerOne(PendingWrite write)
    {
        if (write.IsCheckpointRequest) return;
        if (write.Failure is { } failure) write.Fail(failure);
        else write.Complete();
    }
}
