using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Imv.Persistence.Sqlite.Tests;

/// <summary>The providers in a real (in-process) Orleans silo: a grain with <c>[PersistentState("s", "Default")]</c>
/// on the SQLite storage, reminders on the SQLite table.</summary>
public sealed class ClusterTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static IGrainStorage DefaultStorage(TestCluster cluster) =>
        cluster.GetSiloServiceProvider(cluster.Primary!.SiloAddress).GetRequiredKeyedService<IGrainStorage>("Default");

    [Fact]
    public async Task State_and_reminders_survive_a_cluster_restart_on_the_same_file()
    {
        string db = _dir.File("grid.db");
        string key = "restart-" + Guid.NewGuid().ToString("N");
        var cluster = await TestClusters.StartAsync(db);
        try
        {
            var storage = Assert.IsType<SqliteGrainStorage>(DefaultStorage(cluster));
            Assert.Equal(db, storage.DatabasePath);
            var grain = cluster.GrainFactory.GetGrain<ITestStateGrain>(key);
            await grain.SetValue(7);
            await grain.SetValue(8);
            await grain.StartReminder("tick", TimeSpan.FromSeconds(1));
            await TestClusters.Eventually(() => TestStateGrain.Ticks.GetValueOrDefault(key + "/tick") >= 1, Patience, "the reminder's first tick");
        }
        finally
        {
            await TestClusters.StopAsync(cluster);
        }
        int ticksBefore = TestStateGrain.Ticks.GetValueOrDefault(key + "/tick");

        cluster = await TestClusters.StartAsync(db);
        try
        {
            // The reminder fires again without being registered anew (it activates the grain itself).
            await TestClusters.Eventually(() => TestStateGrain.Ticks.GetValueOrDefault(key + "/tick") > ticksBefore, Patience, "a tick after the restart");
            var grain = cluster.GrainFactory.GetGrain<ITestStateGrain>(key);
            Assert.Equal(8, await grain.GetValue());
            Assert.Equal("2", await grain.GetETag());
            await grain.StopReminder("tick");
            await grain.ClearState();
            Assert.Equal(0, await grain.GetValue());
        }
        finally
        {
            await TestClusters.StopAsync(cluster);
        }
    }

    [Fact]
    public async Task A_grain_resumes_on_its_own_scheduler_after_a_write_and_callers_outside_grains_off_the_writer_thread()
    {
        var cluster = await TestClusters.StartAsync(_dir.File("grid.db"));
        try
        {
            // The writer completes a grain's write on its own thread; the grain must still resume on its activation's
            // scheduler (never on the writer thread, where its turn would block the next commit).
            var grain = cluster.GrainFactory.GetGrain<ITestStateGrain>("resume");
            for (int i = 1; i <= 20; i++)
            {
                var (scheduler, thread) = await grain.SetValueAndTellWhereResumed(i);
                Assert.Equal("ActivationTaskScheduler", scheduler);
                Assert.NotEqual(GrainStateStore.WriterThreadName, thread);
            }
            Assert.Equal(20, await grain.GetValue());

            // Code outside a grain awaiting the storage directly resumes through the thread pool.
            var storage = DefaultStorage(cluster);
            for (int i = 0; i < 20; i++)
            {
                await storage.WriteStateAsync("s", GrainId.Create("test", "outside-" + i), new GrainState<CounterState>(new CounterState { Value = i }));
                Assert.NotEqual(GrainStateStore.WriterThreadName, Thread.CurrentThread.Name);
            }
        }
        finally
        {
            await TestClusters.StopAsync(cluster);
        }
    }

    [Fact]
    public async Task A_concurrent_writer_makes_the_grains_next_write_fail_with_InconsistentStateException()
    {
        var cluster = await TestClusters.StartAsync(_dir.File("grid.db"));
        try
        {
            var grain = cluster.GrainFactory.GetGrain<ITestStateGrain>("conflict");
            await grain.SetValue(1);
            // Another writer (as a second activation after a directory split would) writes the same record.
            var storage = DefaultStorage(cluster);
            var other = new GrainState<CounterState>(new CounterState());
            await storage.ReadStateAsync("s", grain.GetGrainId(), other);
            other.State!.Value = 100;
            await storage.WriteStateAsync("s", grain.GetGrainId(), other);

            var e = await Assert.ThrowsAsync<InconsistentStateException>(() => grain.SetValue(2));
            Assert.Equal("2", e.StoredEtag);
            Assert.Equal("1", e.CurrentEtag);
            // Orleans deactivates the grain on the conflict; the next activation reads the other writer's state.
            await TestClusters.Eventually(() => !cluster.TryGetGrainContext(grain.GetGrainId(), out _), Patience, "the deactivation");
            Assert.Equal(100, await grain.GetValue());
        }
        finally
        {
            await TestClusters.StopAsync(cluster);
        }
    }

    [Fact]
    public async Task A_corrupt_row_fails_the_activation_naming_grain_state_and_file_and_stays()
    {
        string db = _dir.File("grid.db");
        var cluster = await TestClusters.StartAsync(db);
        GrainId id;
        try
        {
            var grain = cluster.GrainFactory.GetGrain<ITestStateGrain>("corrupt");
            id = grain.GetGrainId();
            await grain.SetValue(5);
        }
        finally
        {
            await TestClusters.StopAsync(cluster); // a clean stop checkpoints the record into grain_state
        }
        Execute(db, $"UPDATE grain_state SET data = X'DEADBEEF' WHERE grain_id = '{id}';");

        cluster = await TestClusters.StartAsync(db);
        try
        {
            var grain = cluster.GrainFactory.GetGrain<ITestStateGrain>("corrupt");
            var e = await Assert.ThrowsAnyAsync<Exception>(() => grain.GetValue());
            string text = e.ToString();
            Assert.Contains(id.ToString(), text, StringComparison.Ordinal);
            Assert.Contains("'s'", text, StringComparison.Ordinal);
            Assert.Contains(db, text, StringComparison.Ordinal);
            Assert.Contains("left as it is", text, StringComparison.Ordinal);
            // Other grains are unaffected.
            await cluster.GrainFactory.GetGrain<ITestStateGrain>("fine").SetValue(1);
        }
        finally
        {
            await TestClusters.StopAsync(cluster);
        }
        Assert.Equal("DEADBEEF", Scalar(db, $"SELECT hex(data) FROM grain_state WHERE grain_id = '{id}';"));
    }

    internal static void Execute(string db, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={db};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    internal static object? Scalar(string db, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={db};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}

/// <summary>The contract tests against Orleans' own MemoryGrainStorage, in a silo (it keeps its state in grains).</summary>
public sealed class MemoryGrainStorageContractTests : GrainStorageContractTests
{
    private readonly TempDirectory _dir = new();
    private TestCluster _cluster = null!;

    public override async Task InitializeAsync()
    {
        _cluster = await TestClusters.StartAsync(_dir.File("grid.db"));
        Storage = _cluster.GetSiloServiceProvider(_cluster.Primary!.SiloAddress).GetRequiredKeyedService<IGrainStorage>("Memory");
    }

    public override async Task DisposeAsync()
    {
        await TestClusters.StopAsync(_cluster);
        _dir.Dispose();
    }
}
