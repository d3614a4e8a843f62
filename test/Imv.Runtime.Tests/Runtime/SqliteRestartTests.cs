using Imv.Runtime.Reminders;
using Imv.Runtime.Storage.Sqlite;
using Imv.Runtime.Testing;
using Imv.Runtime.Tests.Grains;

namespace Imv.Runtime.Tests.Runtime;

/// <summary>A whole cluster stopped and started again on the same SQLite file: state and reminders come back.</summary>
public sealed class SqliteRestartTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("imv-restart-");

    private SqliteStorageOptions Options => new() { Path = Path.Combine(_dir.FullName, "grid.db") };

    [Fact]
    public async Task State_and_reminders_survive_a_restart_of_every_silo_on_the_SQLite_file()
    {
        var grains = Enumerable.Range(0, 20).Select(i => "restart-" + i).ToArray();
        using (var database = new SqliteDatabase(Options))
        {
            var storage = new SqliteGrainStorage(database);
            var reminders = new SqliteReminderTable(database);
            await using (var cluster = await TestCluster.StartAsync(new TestClusterOptions { InitialSilos = 2, Storage = storage, ReminderTable = reminders }))
            {
                foreach (var key in grains)
                    for (int i = 0; i < 3; i++) await cluster.GrainFactory.GetGrain<IPersistentCounterGrain>(key).IncrementAsync();
                await cluster.GrainFactory.GetGrain<IReminderGrain>("restart-reminder").StartAsync(TimeSpan.FromMilliseconds(300));
            }
            await storage.DisposeAsync();
        }

        using (var database = new SqliteDatabase(Options))
        {
            var storage = new SqliteGrainStorage(database);
            var reminders = new SqliteReminderTable(database);
            await using (var cluster = await TestCluster.StartAsync(new TestClusterOptions { InitialSilos = 1, Storage = storage, ReminderTable = reminders }))
            {
                foreach (var key in grains)
                    Assert.Equal(4, await cluster.GrainFactory.GetGrain<IPersistentCounterGrain>(key).IncrementAsync());
                // The reminder was registered before the restart; only the new silo can have made it tick since.
                var reminder = cluster.GrainFactory.GetGrain<IReminderGrain>("restart-reminder");
                int before = await reminder.TicksAsync();
                await GrainCallTests.Until(async () => await reminder.TicksAsync() >= before + 2);
                await reminder.StopAsync();
            }
            await storage.DisposeAsync();
        }
    }

    public void Dispose()
    {
        try { _dir.Delete(recursive: true); } catch (IOException) { }
    }
}
