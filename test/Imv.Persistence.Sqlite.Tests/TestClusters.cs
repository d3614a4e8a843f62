using System.Diagnostics;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace Imv.Persistence.Sqlite.Tests;

/// <summary>One-silo test clusters on a SQLite file (grain storage "Default" and reminders), plus Orleans' memory
/// storage "Memory" for the contract tests.</summary>
internal static class TestClusters
{
    public const string PathKey = "ImvSqlitePath";

    public static async Task<TestCluster> StartAsync(string databasePath)
    {
        var builder = new TestClusterBuilder(1);
        builder.Properties[PathKey] = databasePath;
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    public static async Task StopAsync(TestCluster cluster)
    {
        await cluster.StopAllSilosAsync();
        await cluster.DisposeAsync();
    }

    /// <summary>Waits until <paramref name="condition"/> holds, polling; fails naming <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task Eventually(Func<bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < timeout, $"timed out after {timeout} waiting for {what}");
            await Task.Delay(50);
        }
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            string path = siloBuilder.Configuration[PathKey] ?? throw new InvalidOperationException(PathKey + " not set");
            siloBuilder.UseSqlite(options => options.Path = path);
            siloBuilder.AddMemoryGrainStorage("Memory");
            siloBuilder.Configure<ReminderOptions>(options =>
            {
                options.MinimumReminderPeriod = TimeSpan.FromSeconds(1);
                options.RefreshReminderListPeriod = TimeSpan.FromSeconds(1);
            });
        }
    }
}
