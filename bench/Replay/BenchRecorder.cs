using Imv.Grains.Interfaces.Recording;
using Imv.Persistence.PostgreSql;
using Imv.Persistence.PostgreSql.Recording;
using Imv.Persistence.Recording;
using Imv.Persistence.Sqlite.Recording;
using Imv.Silo.Tests.Support;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Imv.Bench.Replay;

/// <summary>The recording a replay bench writes and reads: a SQLite file (default) or, with <c>--recording postgres</c>,
/// a database of its own on a PostgreSQL server started for the run (the recorder a silo of a PostgreSQL cluster uses).</summary>
internal sealed class BenchRecorder : IAsyncDisposable
{
    private readonly SqliteTwinRecorder? _sqlite;
    private readonly PostgreSqlTwinRecorder? _postgres;

    private BenchRecorder(SqliteTwinRecorder? sqlite, PostgreSqlTwinRecorder? postgres)
    {
        _sqlite = sqlite;
        _postgres = postgres;
    }

    /// <summary>Where the twins hand their entries.</summary>
    public ITwinRecorder Writer => (ITwinRecorder?)_sqlite ?? _postgres!;

    /// <summary>What the readers read.</summary>
    public IRecordingReader Reader => (IRecordingReader?)_sqlite ?? _postgres!;

    public long Enqueued => _sqlite?.Enqueued ?? _postgres!.Enqueued;
    public long Committed => _sqlite?.Committed ?? _postgres!.Committed;
    public long CommittedReadings => _sqlite?.CommittedReadings ?? _postgres!.CommittedReadings;
    public long Dropped => _sqlite?.Dropped ?? _postgres!.Dropped;

    public Task FlushAsync(CancellationToken cancellationToken) => Reader.FlushAsync(cancellationToken);

    /// <summary>A recorder on <paramref name="path"/>, or on a new database of <paramref name="server"/> when given.</summary>
    public static async Task<BenchRecorder> OpenAsync(string path, PostgreSqlServer? server, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (server is null) return new BenchRecorder(new SqliteTwinRecorder(new RecordingOptions { Path = path }, loggers.CreateLogger<SqliteTwinRecorder>()), null);
        var dataSource = NpgsqlDataSource.Create(PostgreSqlTwinRecorder.ConnectionStringFor(await server.CreateDatabaseAsync(Path.GetFileNameWithoutExtension(path).Replace('.', '_'))));
        await PostgreSqlSchema.MigrateAsync(dataSource, cancellationToken);
        var recorder = new PostgreSqlTwinRecorder(new RecordingOptions(), dataSource, loggers.CreateLogger<PostgreSqlTwinRecorder>(), ownsDataSource: true);
        await recorder.StartAsync(cancellationToken);
        return new BenchRecorder(null, recorder);
    }

    public async ValueTask DisposeAsync()
    {
        if (_sqlite is not null) await _sqlite.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
    }
}
