using System.Net.Sockets;
using Imv.Persistence.PostgreSql;
using Npgsql;

namespace Imv.Silo.Hosting;

/// <summary>Runs before the Orleans silo starts when an engine is AdoNet: waits for PostgreSQL (retrying with
/// backoff, saying what it waits for), then applies the schema (<c>Silo:Database:Migrate=true</c>) or refuses a
/// schema of another version, naming both. Registered before <c>UseOrleans</c>: hosted services start in order.</summary>
internal sealed partial class PostgreSqlStartup(SiloSettings settings, ILogger<PostgreSqlStartup> logger) : IHostedService
{
    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var dataSource = NpgsqlDataSource.Create(settings.PostgreSqlConnectionString!);
        var database = PostgreSqlSchema.Describe(dataSource);
        await WaitForServerAsync(dataSource, database, settings.Database.MaxRetryDelay, logger, cancellationToken).ConfigureAwait(false);
        if (settings.Database.Migrate)
        {
            var (from, to) = await PostgreSqlSchema.MigrateAsync(dataSource, cancellationToken).ConfigureAwait(false);
            LogSchema(logger, database, from, to);
        }
        else
        {
            await PostgreSqlSchema.EnsureCurrentAsync(dataSource, cancellationToken).ConfigureAwait(false);
        }
        await ClusterIdentity.CheckAsync(dataSource, settings, database, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Opens a connection, retrying transient failures (server down, starting, refusing connections) with a
    /// doubling delay up to <paramref name="maxDelay"/>; a refused login or a missing database fails at once.</summary>
    internal static async Task WaitForServerAsync(NpgsqlDataSource dataSource, string database, TimeSpan maxDelay, ILogger logger, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(500);
        while (true)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                LogWaiting(logger, database, e.Message, delay);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, maxDelay.Ticks));
            }
            catch (PostgresException e)
            {
                throw new InvalidOperationException($"PostgreSQL {database} refused the silo: {e.MessageText} ({e.SqlState}). Check ConnectionStrings:PostgreSql.", e);
            }
        }
    }

    private static bool IsTransient(Exception e) => e switch
    {
        // 57P03: the server is starting up; 53300: too many connections; 08xxx: connection failures.
        PostgresException p => p.SqlState is "57P03" or "53300" || p.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException { InnerException: SocketException or IOException or TimeoutException } => true,
        NpgsqlException n => n.IsTransient,
        SocketException or TimeoutException => true,
        _ => false,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Waiting for PostgreSQL ({Database}): {Reason}; next attempt in {Delay}")]
    private static partial void LogWaiting(ILogger logger, string database, string reason, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Information, Message = "PostgreSQL schema of {Database}: version {From} -> {To}")]
    private static partial void LogSchema(ILogger logger, string database, int from, int to);
}
