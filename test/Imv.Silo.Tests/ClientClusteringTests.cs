using Imv.Client;
using Imv.Client.Connection;
using Imv.Grains.Interfaces.Twins;
using Imv.Persistence.PostgreSql;
using Imv.Silo.Tests.Support;
using Npgsql;

namespace Imv.Silo.Tests;

/// <summary>The SDK with <c>Client:Clustering=AdoNet</c> against a silo process clustered on a real PostgreSQL server:
/// the client knows no gateway address, only the database; it finds the silo's gateway in the membership table.</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class ClientClusteringTests(PostgreSqlFixture postgres)
{
    private const string Twin = "site-1.line-01.machine-001";

    private static readonly string[] SmallPlant =
    [
        "--Simulator:Sites=1", "--Simulator:LinesPerSite=1", "--Simulator:MachinesPerLine=3", "--Simulator:TickInterval=00:00:00.200",
        "--Simulator:FaultRate=0", "--Simulator:InitiallyRunning=1", "--Plant:ControlLoopShare=0",
    ];

    [Fact]
    public async Task An_sdk_client_finds_the_silo_in_the_postgresql_membership_table_and_reads_a_twin()
    {
        var cs = await postgres.Server.CreateDatabaseAsync("client");
        await using (var dataSource = NpgsqlDataSource.Create(cs)) await PostgreSqlSchema.MigrateAsync(dataSource, default);
        await using var cluster = await SiloCluster.StartAsync(cs, 1, SmallPlant, TimeSpan.FromSeconds(180));

        var options = new ImvClientOptions
        {
            Clustering = ClusteringKinds.AdoNet, PostgreSqlConnectionString = cs, ConnectTimeout = TimeSpan.FromSeconds(60),
            ApiKey = (await File.ReadAllTextAsync(cluster.AdminKeyFile)).Trim(),
        };
        await using var imv = await ImvClient.ConnectAsync(options);
        Assert.Contains(Twin, await imv.Twins.ListAsync());
        // The simulated machine's readings reach the twin; the client reads them through the gateway it found.
        TwinSnapshot? twin = null;
        await TestSilo.EventuallyAsync(async () => (twin = await imv.Twins.GetAsync(Twin)) is { AppliedCount: > 0 }, $"{Twin} read through the SDK with readings applied",
            TimeSpan.FromSeconds(60));
        Assert.Equal(Twin, twin!.TwinId);
        Assert.Contains(twin.Tags, t => t.Name == "temperature");

        // Another cluster id in the same table finds no gateway: the error names the membership table it read.
        var wrong = new ImvClientOptions
        {
            Clustering = ClusteringKinds.AdoNet, PostgreSqlConnectionString = cs, ClusterId = "not-this-cluster", ConnectTimeout = TimeSpan.FromSeconds(5),
        };
        var e = await Assert.ThrowsAsync<ClusterUnreachableException>(() => ImvClient.ConnectAsync(wrong));
        Assert.Contains("PostgreSQL", e.Message, StringComparison.Ordinal);
        Assert.Contains("not-this-cluster", e.Message, StringComparison.Ordinal);
    }
}
