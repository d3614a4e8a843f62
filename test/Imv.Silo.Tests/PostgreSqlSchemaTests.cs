using Imv.Persistence.PostgreSql;
using Imv.Silo.Hosting;
using Imv.Silo.Tests.Support;
using Npgsql;

namespace Imv.Silo.Tests;

/// <summary>Imv's PostgreSQL schema on a real PostgreSQL server: versioned, idempotent, safe when silos migrate at
/// once, complete for Orleans' providers, and enforced at start.</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlSchemaTests(PostgreSqlFixture postgres)
{
    /// <summary>Every query key Orleans' ADO.NET clustering, persistence and reminder providers (10.4.2) look up.</summary>
    private static readonly string[] ProviderQueryKeys =
    [
        "GatewaysQueryKey", "MembershipReadRowKey", "MembershipReadAllKey", "InsertMembershipVersionKey", "UpdateIAmAlivetimeKey",
        "InsertMembershipKey", "UpdateMembershipKey", "DeleteMembershipTableEntriesKey", "CleanupDefunctSiloEntriesKey",
        "WriteToStorageKey", "ReadFromStorageKey", "ClearStorageKey", "DeleteStorageKey",
        "ReadReminderRowsKey", "ReadRangeRows1Key", "ReadRangeRows2Key", "ReadReminderRowKey", "UpsertReminderRowKey",
        "DeleteReminderRowKey", "DeleteReminderRowsKey",
    ];

    /// <summary>Tables, columns, indexes, the OrleansQuery rows and the recorded versions, as text.</summary>
    private static async Task<string> SnapshotAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var lines = new List<string>();
        foreach (var sql in new[]
        {
            "SELECT table_name || '.' || column_name || ':' || data_type FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1",
            "SELECT indexname || ':' || indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
            "SELECT querykey || '=' || md5(querytext) FROM orleansquery ORDER BY 1",
            "SELECT version || ':' || description FROM imv_schema_version ORDER BY 1",
        })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) lines.Add(reader.GetString(0));
        }
        return string.Join('\n', lines);
    }

    [Fact]
    public async Task Migrating_applies_each_version_once_and_again_changes_nothing_even_from_three_silos_at_once()
    {
        var cs = await postgres.Server.CreateDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(cs);
        Assert.Equal(0, await PostgreSqlSchema.GetVersionAsync(dataSource, default));
        // Three silos starting with Silo:Database:Migrate=true at the same moment: the advisory lock lets one apply.
        var results = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => PostgreSqlSchema.MigrateAsync(dataSource, default)));
        Assert.Single(results, r => r.From == 0);
        Assert.All(results, r => Assert.Equal(PostgreSqlSchema.CodeVersion, r.To));
        var first = await SnapshotAsync(cs);
        Assert.Equal((PostgreSqlSchema.CodeVersion, PostgreSqlSchema.CodeVersion), await PostgreSqlSchema.MigrateAsync(dataSource, default));
        Assert.Equal(first, await SnapshotAsync(cs));
        foreach (var key in ProviderQueryKeys) Assert.Contains(key + "=", first, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_migrate_command_applies_the_schema_then_reports_it_current_and_names_a_missing_connection_string()
    {
        var cs = await postgres.Server.CreateDatabaseAsync();
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(0, await MigrateCommand.RunAsync(["--ConnectionStrings:PostgreSql=" + cs], output, error, default));
        Assert.Contains($"version 0 -> {PostgreSqlSchema.CodeVersion}", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, await MigrateCommand.RunAsync(["--ConnectionStrings:PostgreSql=" + cs], output, error, default));
        Assert.Contains("current; nothing to apply", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, await MigrateCommand.RunAsync([], output, error, default));
        Assert.Contains("ConnectionStrings:PostgreSql: missing", error.ToString(), StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> PostgreSqlSettings(string cs, bool migrate) => new()
    {
        ["Silo:Clustering"] = "AdoNet",
        ["Silo:Storage"] = "AdoNet",
        ["Auth:AllowPlainGatewayBeyondLoopback"] = "true",
        ["ConnectionStrings:PostgreSql"] = cs,
        ["Silo:Database:Migrate"] = migrate ? "true" : "false",
        ["Simulator:Enabled"] = "false",
    };

    [Fact]
    public async Task A_silo_refuses_a_database_older_than_its_code_naming_both_versions()
    {
        var cs = await postgres.Server.CreateDatabaseAsync();
        var e = await Assert.ThrowsAsync<SchemaVersionException>(() => TestSilo.StartAsync(settings: PostgreSqlSettings(cs, migrate: false)));
        Assert.Contains("version 0", e.Message, StringComparison.Ordinal);
        Assert.Contains($"needs version {PostgreSqlSchema.CodeVersion}", e.Message, StringComparison.Ordinal);
        Assert.Contains("-- migrate", e.Message, StringComparison.Ordinal);
        var (code, message) = StartFailure.Describe(e);
        Assert.Equal(1, code);
        Assert.Contains("version 0", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silo_with_another_service_id_or_cluster_id_than_its_live_peers_is_refused()
    {
        var cs = await postgres.Server.CreateDatabaseAsync();
        await using (var first = await TestSilo.StartAsync(settings: PostgreSqlSettings(cs, migrate: true)))
        {
            var other = PostgreSqlSettings(cs, migrate: false);
            other["Silo:ServiceId"] = "another-service";
            var e = await Assert.ThrowsAsync<SiloConfigurationException>(() => TestSilo.StartAsync(settings: other));
            Assert.Contains("Silo:ServiceId = 'another-service'", e.Message, StringComparison.Ordinal);
            Assert.Contains("runs ServiceId 'imv'", e.Message, StringComparison.Ordinal);

            var split = PostgreSqlSettings(cs, migrate: false);
            split["Silo:ClusterId"] = "imv-b";
            e = await Assert.ThrowsAsync<SiloConfigurationException>(() => TestSilo.StartAsync(settings: split));
            Assert.Contains("Silo:ClusterId = 'imv-b'", e.Message, StringComparison.Ordinal);
            Assert.Contains("cluster 'imv'", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_silo_on_postgresql_keeps_commands_state_and_reminders_across_a_restart()
    {
        const string twin = "site-1.line-01.machine-001";
        var cs = await postgres.Server.CreateDatabaseAsync();
        var settings = PostgreSqlSettings(cs, migrate: true);
        settings["Simulator:Enabled"] = "true";
        string commandId;
        await using (var silo = await TestSilo.StartAsync(settings: settings))
        {
            var applied = await silo.As("worker.site-1.line-01.1").PostAsync($"/api/twins/{twin}/commands?wait=30", new { issuer = "worker.site-1.line-01.1", tag = "speedSetpoint", value = 61 }, 201);
            Assert.Equal("Applied", applied.GetProperty("status").GetString());
            commandId = applied.GetProperty("envelope").GetProperty("commandId").GetString()!;
        }
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        await using (var count = new NpgsqlCommand("SELECT (SELECT count(*) FROM imv_grain_state WHERE payload IS NOT NULL), (SELECT count(*) FROM imv_reminder)", connection))
        await using (var reader = await count.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.True(reader.GetInt64(0) > 6, "grain state rows: " + reader.GetInt64(0));
            // The plant's control loops keep themselves alive with reminders.
            Assert.True(reader.GetInt64(1) > 0, "reminder rows");
        }
        settings["Simulator:Enabled"] = "false";
        settings["Silo:Database:Migrate"] = "false";
        await using var second = await TestSilo.StartAsync(settings: settings);
        Assert.Equal("Applied", (await second.GetAsync("/api/commands/" + commandId)).GetProperty("status").GetString());
        var tags = (await second.GetAsync("/api/twins/" + twin)).GetProperty("tags").EnumerateArray();
        Assert.Equal(61, tags.First(t => t.GetProperty("name").GetString() == "speedSetpoint").GetProperty("value").GetDouble());
    }
}
