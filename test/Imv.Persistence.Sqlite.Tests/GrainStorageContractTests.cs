using Orleans.Storage;

namespace Imv.Persistence.Sqlite.Tests;

/// <summary>The IGrainStorage rules a provider follows, through Orleans' interface with <see cref="GrainState{T}"/>.</summary>
public abstract class GrainStorageContractTests : IAsyncLifetime
{
    protected static readonly GrainId Grain = GrainId.Create("machine", "press-7");

    protected IGrainStorage Storage { get; set; } = null!;

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    private static GrainState<CounterState> Empty() => new(new CounterState());

    private async Task<GrainState<CounterState>> Read(string stateName, GrainId grain)
    {
        var state = Empty();
        await Storage.ReadStateAsync(stateName, grain, state);
        return state;
    }

    private async Task<GrainState<CounterState>> Write(string stateName, GrainId grain, int value, string? eTag)
    {
        var state = new GrainState<CounterState>(new CounterState { Value = value }, eTag);
        await Storage.WriteStateAsync(stateName, grain, state);
        return state;
    }

    [Fact]
    public async Task Missing_record_reads_as_new_state_without_etag()
    {
        var state = await Read("state", Grain);
        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.NotNull(state.State);
        Assert.Equal(0, state.State!.Value);
    }

    [Fact]
    public async Task Write_then_read_returns_state_and_etag()
    {
        var written = await Write("state", Grain, 42, null);
        Assert.True(written.RecordExists);
        Assert.NotNull(written.ETag);
        var read = await Read("state", Grain);
        Assert.True(read.RecordExists);
        Assert.Equal(42, read.State!.Value);
        Assert.Equal(written.ETag, read.ETag);
        read.State!.Value = 43;
        string? first = read.ETag;
        await Storage.WriteStateAsync("state", Grain, read);
        Assert.NotEqual(first, read.ETag);
        Assert.Equal(43, (await Read("state", Grain)).State!.Value);
        // Other state names and grains are separate records.
        Assert.False((await Read("other", Grain)).RecordExists);
        Assert.False((await Read("state", GrainId.Create("machine", "press-8"))).RecordExists);
    }

    [Fact]
    public async Task ETag_conflict_is_refused_and_nothing_stored()
    {
        var first = await Write("state", Grain, 1, null);
        // Writer believes no record exists.
        var e = await Assert.ThrowsAsync<InconsistentStateException>(() => Write("state", Grain, 2, null));
        Assert.Equal(first.ETag, e.StoredEtag);
        // Writer holds a stale ETag.
        var second = await Write("state", Grain, 3, first.ETag);
        e = await Assert.ThrowsAsync<InconsistentStateException>(() => Write("state", Grain, 4, first.ETag));
        Assert.Equal(second.ETag, e.StoredEtag);
        Assert.Equal(first.ETag, e.CurrentEtag);
        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.ClearStateAsync("state", Grain, new GrainState<CounterState>(new CounterState(), first.ETag)));
        var read = await Read("state", Grain);
        Assert.Equal(3, read.State!.Value);
        Assert.Equal(second.ETag, read.ETag);
    }

    [Fact]
    public async Task Clear_resets_the_state_and_a_write_may_follow()
    {
        var written = await Write("state", Grain, 5, null);
        var state = new GrainState<CounterState>(new CounterState { Value = 5 }, written.ETag) { RecordExists = true };
        await Storage.ClearStateAsync("state", Grain, state);
        Assert.False(state.RecordExists);
        Assert.NotNull(state.State);
        Assert.Equal(0, state.State!.Value);
        var read = await Read("state", Grain);
        Assert.False(read.RecordExists);
        Assert.Equal(0, read.State!.Value);
        // The cleared state object writes again as is (the ETag the clear left in it).
        state.State!.Value = 6;
        await Storage.WriteStateAsync("state", Grain, state);
        Assert.True(state.RecordExists);
        Assert.Equal(6, (await Read("state", Grain)).State!.Value);
        // An ETag from before the clear does not match the record written after it.
        await Assert.ThrowsAsync<InconsistentStateException>(() => Write("state", Grain, 7, written.ETag));
    }

    [Fact]
    public async Task Concurrent_writers_from_one_etag_exactly_one_wins()
    {
        var first = await Write("state", Grain, 0, null);
        var tasks = Enumerable.Range(1, 20).Select(i => Write("state", Grain, i, first.ETag)).ToArray();
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

public sealed class SqliteGrainStorageContractTests : GrainStorageContractTests
{
    private readonly TempDirectory _dir = new();
    private ProviderHarness _harness = null!;

    public override async Task InitializeAsync()
    {
        _harness = await ProviderHarness.OpenAsync(new SqliteStorageOptions { Path = _dir.File("grid.db") });
        Storage = _harness.Storage;
    }

    public override async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>The same contract without write-behind: every write updates its row in grain_state.</summary>
public sealed class SqliteDirectGrainStorageContractTests : GrainStorageContractTests
{
    private readonly TempDirectory _dir = new();
    private ProviderHarness _harness = null!;

    public override async Task InitializeAsync()
    {
        _harness = await ProviderHarness.OpenAsync(new SqliteStorageOptions { Path = _dir.File("grid.db"), WriteBehind = false });
        Storage = _harness.Storage;
    }

    public override async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>The same contract with write-behind checkpointing every 10 ms, so checks run against records in the
/// journal, in grain_state, and moving between them.</summary>
public sealed class SqliteCheckpointingGrainStorageContractTests : GrainStorageContractTests
{
    private readonly TempDirectory _dir = new();
    private ProviderHarness _harness = null!;

    public override async Task InitializeAsync()
    {
        _harness = await ProviderHarness.OpenAsync(new SqliteStorageOptions
        {
            Path = _dir.File("grid.db"), CheckpointInterval = TimeSpan.FromMilliseconds(10), CheckpointChunkSize = 2,
        });
        Storage = _harness.Storage;
    }

    public override async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        _dir.Dispose();
    }
}
