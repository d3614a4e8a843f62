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
    private readonly TwinRecorderBase _recorder;

    private BenchRecorder(TwinRecorderBase recorder) => _recorder = recorder;

    /// <summary>Where the twins hand their entries.</summary>
    public ITwinRecorder Writer => _recorder;

    /// <summary>What the readers read (both recorders read their own recording).</summary>
    public IRecordingReader Reader => (IRecordingReader)_recorder;

    public long Enqueued => _recorder.Enqueued;
    public long Committed => _recorder.Committed;
    public long CommittedReadings => _recorder.CommittedReadings;
    public long Dropped => _recorder.Dropped;

    public Task FlushAsync(CancellationToken cancellationToken) => _recorder.FlushAsync(cancellationToken);

    /// <summary>A recorder on <paramref name="path"/>, or on a new database of <paramref name="server"/> when given.</summary>
    public static async Task<BenchRecorder> OpenAsync(string path, PostgreSqlServer? server, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (server is null) return new BenchRecorder(new SqliteTwinRecorder(new RecordingOptions { Path = path }, loggers.CreateLogger<SqliteTwinRecorder>()));
        var dataSource = NpgsqlDataSource.Create(PostgreSqlTwinRecorder.ConnectionStringFor(await server.CreateDatabaseAsync(Path.GetFileNameWithoutExtension(path).Replace('.', '_'))));
        await PostgreSqlSchema.MigrateAsync(dataSource, cancellationToken);
        var recorder = new PostgreSqlTwinRecorder(new RecordingOptions(), dataSource, loggers.CreateLogger<PostgreSqlTwinRecorder>(), ownsDataSource: true);
        await recorder.StartAsync(cancellationToken);
        return new BenchRecorder(recorder);
    }

    public ValueTask DisposeAsync() => _recorder.DisposeAsync();
}
