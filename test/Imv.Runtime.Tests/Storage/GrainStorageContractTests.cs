using Imv.Runtime.Storage;
using Imv.Runtime.Storage.Sqlite;
using Xunit;

namespace Imv.Runtime.Tests.Storage;

/// <summary>The IGrainStorage rules every provider must follow.</summary>
public abstract class GrainStorageContractTests : IAsyncLifetime
{
    protected static readonly GrainId Grain = new("machine", "press-7");
    protected static CancellationToken None => CancellationToken.None;

    protected IGrainStorage Storage { get; set; } = null!;

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    [Fact]
    public async Task Missing_record_reads_as_null()
    {
        Assert.Null(await Storage.ReadAsync("state", Grain, None));
    }

    [Fact]
    public async Task Write_then_read_returns_bytes_etag_and_epoch()
    {
        string e1 = await Storage.WriteAsync("state", Grain, new byte[] { 1, 2, 3 }, null, 5, None);
        var record = await Storage.ReadAsync("state", Grain, None);
        Assert.NotNull(record);
        Assert.Equal(new byte[] { 1, 2, 3 }, record.Data);
        Assert.Equal(e1, record.ETag);
        Assert.Equal(5, record.Epoch);
        string e2 = await Storage.WriteAsync("state", Grain, new byte[] { 4 }, e1, 5, None);
        Assert.NotEqual(e1, e2);
        Assert.Equal(new byte[] { 4 }, (await Storage.ReadAsync("state", Grain, None))!.Data);
        // Other state names and grains are separate records.
        Assert.Null(await Storage.ReadAsync("other", Grain, None));
        Assert.Null(await Storage.ReadAsync("state", new GrainId("machine", "press-8"), None));
    }

    [Fact]
    public async Task Empty_data_round_trips_as_empty_not_null()
    {
        string e = await Storage.WriteAsync("state", Grain, ReadOnlyMemory<byte>.Empty, null, 1, None);
        var record = await Storage.ReadAsync("state", Grain, None);
        Assert.NotNull(record);
        Assert.Empty(record.Data);
        Assert.Equal(e, record.ETag);
    }

    [Fact]
    public async Task Returned_bytes_are_a_copy()
    {
        var data = new byte[] { 9, 9 };
        await Storage.WriteAsync("state", Grain, data, null, 1, None);
        data[0] = 0;
        var first = await Storage.ReadAsync("state", Grain, None);
        Assert.Equal(new byte[] { 9, 9 }, first!.Data);
        first.Data[1] = 0;
        Assert.Equal(new byte[] { 9, 9 }, (await Storage.ReadAsync("state", Grain, None))!.Data);
    }

    [Fact]
    public async Task ETag_conflict_is_refused_and_nothing_stored()
    {
        string e1 = await Storage.WriteAsync("state", Grain, new byte[] { 1 }, null, 1, None);
        // Writer believes no record exists.
        var ex = await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteAsync("state", Grain, new byte[] { 2 }, null, 1, None));
        Assert.Equal(e1, ex.StoredETag);
        Assert.Null(ex.CurrentETag);
        // Writer holds a stale ETag.
        string e2 = await Storage.WriteAsync("state", Grain, new byte[] { 3 }, e1, 1, None);
        ex = await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteAsync("state", Grain, new byte[] { 4 }, e1, 1, None));
        Assert.Equal(e2, ex.StoredETag);
        Assert.Equal(e1, ex.CurrentETag);
        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.ClearAsync("state", Grain, e1, 1, None));
        // Writer has an ETag but nothing is stored.
        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteAsync("state", new GrainId("machine", "x"), new byte[] { 5 }, "1", 1, None));
        Assert.Null(await Storage.ReadAsync("state", new GrainId("machine", "x"), None));
        var record = await Storage.ReadAsync("state", Grain, None);
        Assert.Equal(new byte[] { 3 }, record!.Data);
        Assert.Equal(e2, record.ETag);
    }

    [Fact]
    public async Task Stale_epoch_is_refused_and_nothing_stored()
    {
        string e1 = await Storage.WriteAsync("state", Grain, new byte[] { 1 }, null, 7, None);
        var ex = await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteAsync("state", Grain, new byte[] { 2 }, e1, 6, None));
        Assert.Contains("epoch", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.ClearAsync("state", Grain, e1, 6, None));
        var record = await Storage.ReadAsync("state", Grain, None);
        Assert.Equal(new byte[] { 1 }, record!.Data);
        Assert.Equal(7, record.Epoch);
        // Same or newer epoch is accepted, and the newer epoch is stored.
        string e2 = await Storage.WriteAsync("state", Grain, new byte[] { 3 }, e1, 7, None);
        await Storage.WriteAsync("state", Grain, new byte[] { 4 }, e2, 9, None);
        Assert.Equal(9, (await Storage.ReadAsync("state", Grain, None))!.Epoch);
    }

    [Fact]
    public async Task Clear_deletes_and_keeps_fencing_and_versions()
    {
        string e1 = await Storage.WriteAsync("state", Grain, new byte[] { 1 }, null, 3, None);
        await Storage.ClearAsync("state", Grain, e1, 4, None);
        Assert.Null(await Storage.ReadAsync("state", Grain, None));
        // A silo with the older epoch cannot recreate the record after the clear.
        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteAsync("state", Grain, new byte[] { 2 }, null, 3, None));
        // A stale ETag from before the clear does not match the next record.
        string e3 = await Storage.WriteAsync("state", Grain, new byte[] { 3 }, null, 4, None);
        Assert.NotEqual(e1, e3);
        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteAsync("state", Grain, new byte[] { 4 }, e1, 4, None));
        Assert.Equal(new byte[] { 3 }, (await Storage.ReadAsync("state", Grain, None))!.Data);
        // Clearing a record that never existed is fine.
        await Storage.ClearAsync("state", new GrainId("machine", "never"), null, 1, None);
    }

    [Fact]
    public async Task Concurrent_writers_on_one_record_serialize()
    {
        // 20 writers race from the same ETag: exactly one wins.
        string e0 = await Storage.WriteAsync("state", Grain, new byte[] { 0 }, null, 1, None);
        var tasks = Enumerable.Range(1, 20).Select(i => Storage.WriteAsync("state", Grain, new byte[] { (byte)i }, e0, 1, None)).ToArray();
        int ok = 0, refused = 0;
        foreach (var t in tasks)
        {
            try
            {
                await t;
                ok++;
            }
            catch (InconsistentStateException)
            {
                refused++;
            }
        }
        Assert.Equal(1, ok);
        Assert.Equal(19, refused);
    }
}

public sealed class MemoryGrainStorageTests : GrainStorageContractTests
{
    public override Task InitializeAsync()
    {
        Storage = new MemoryGrainStorage();
        return Task.CompletedTask;
    }

    public override Task DisposeAsync() => Task.CompletedTask;
}

public sealed class SqliteGrainStorageContractTests : GrainStorageContractTests
{
    private readonly TempDirectory _dir = new();

    public override Task InitializeAsync()
    {
        Storage = new SqliteGrainStorage(new SqliteStorageOptions { Path = _dir.File("grid.db") });
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync()
    {
        await ((SqliteGrainStorage)Storage).DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>The same contract without write-behind: every write updates its row in grain_state.</summary>
public sealed class SqliteDirectGrainStorageContractTests : GrainStorageContractTests
{
    private readonly TempDirectory _dir = new();

    public override Task InitializeAsync()
    {
        Storage = new SqliteGrainStorage(new SqliteStorageOptions { Path = _dir.File("grid.db"), WriteBehind = false });
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync()
    {
        await ((SqliteGrainStorage)Storage).DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>The same contract with write-behind checkpointing every 10 ms, so checks run against records in the
/// journal, in grain_state, and moving between them.</summary>
public sealed class SqliteCheckpointingGrainStorageContractTests : GrainStorageContractTests
{
    private readonly TempDirectory _dir = new();

    public override Task InitializeAsync()
    {
        Storage = new SqliteGrainStorage(new SqliteStorageOptions
        {
            Path = _dir.File("grid.db"), CheckpointInterval = TimeSpan.FromMilliseconds(10), CheckpointChunkSize = 2,
        });
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync()
    {
        await ((SqliteGrainStorage)Storage).DisposeAsync();
        _dir.Dispose();
    }
}
