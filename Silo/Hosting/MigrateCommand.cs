using Imv.Persistence.PostgreSql;
using Npgsql;

namespace Imv.Silo.Hosting;

/// <summary><c>dotnet run --project Silo -- migrate</c>: applies the PostgreSQL schema scripts the database of
/// <c>ConnectionStrings:PostgreSql</c> lacks (same configuration sources as the silo), prints the versions and exits.
/// Idempotent: a database already current is left as it is.</summary>
public static class MigrateCommand
{
    /// <summary>The command's name (first argument).</summary>
    public const string Name = "migrate";

    /// <summary>Runs the command; returns the exit code (0 done, 1 the database failed, 2 configuration).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var configuration = new ConfigurationManager();
        configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true);
        SiloApplication.AddImvSources(configuration, args);
        var connectionString = configuration.GetConnectionString(DatabaseSettings.ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            await error.WriteLineAsync($"Invalid configuration: ConnectionStrings:{DatabaseSettings.ConnectionStringName}: missing (the PostgreSQL database to migrate; e.g. --ConnectionStrings:PostgreSql=\"Host=127.0.0.1;Database=imv;Username=imv;Password=...\" or IMV_ConnectionStrings__PostgreSql)").ConfigureAwait(false);
            return 2;
        }
        NpgsqlDataSource dataSource;
        try { dataSource = NpgsqlDataSource.Create(connectionString); }
        catch (ArgumentException e)
        {
            await error.WriteLineAsync($"Invalid configuration: ConnectionStrings:{DatabaseSettings.ConnectionStringName}: not a valid PostgreSQL connection string ({e.Message})").ConfigureAwait(false);
            return 2;
        }
        await using (dataSource)
        {
            var database = PostgreSqlSchema.Describe(dataSource);
            try
            {
                var (from, to) = await PostgreSqlSchema.MigrateAsync(dataSource, cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync(from == to
                    ? $"PostgreSQL schema of {database}: version {to}, current; nothing to apply"
                    : $"PostgreSQL schema of {database}: version {from} -> {to}").ConfigureAwait(false);
                return 0;
            }
            catch (Exception e) when (e is NpgsqlException or SchemaVersionException or System.Net.Sockets.SocketException)
            {
                await error.WriteLineAsync($"Migration of {database} failed: {e.Message}").ConfigureAwait(false);
                return 1;
            }
        }
    }
}
