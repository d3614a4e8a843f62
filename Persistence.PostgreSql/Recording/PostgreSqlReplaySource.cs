using Imv.Persistence.Recording;
using Npgsql;

namespace Imv.Persistence.PostgreSql.Recording;

/// <summary>The PostgreSQL recording as a replay's source: only ever read (each read in a read-only transaction), so a
/// replay stopped half-way, or failing, leaves the recording exactly as it was.</summary>
internal sealed class PostgreSqlReplaySource(NpgsqlDataSource dataSource, string location) : IReplayRecording
{
    private readonly TagNames _names = new();
    private readonly TagSchemas _schemas = new(id => PostgreSqlRecordingStore.FindSchema(dataSource, id));

    /// <inheritdoc />
    public string Location => location;

    /// <inheritdoc />
    public bool HasEntries(string twinId, DateTimeOffset from, DateTimeOffset to)
    {
        using var connection = dataSource.OpenConnection();
        using var c = new NpgsqlCommand($"SELECT EXISTS (SELECT 1 FROM {PostgreSqlTwinRecorder.Table} WHERE twin = @twin AND at >= @from AND at < @to)", connection);
        c.Parameters.AddWithValue("twin", twinId);
        c.Parameters.AddWithValue("from", from.UtcTicks);
        c.Parameters.AddWithValue("to", to.UtcTicks);
        return c.ExecuteScalar() is true;
    }

    /// <inheritdoc />
    public IEnumerable<RecordedRow> ReadRows(DateTimeOffset from, DateTimeOffset to, Func<string, bool> twins, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(twins);
        using var connection = dataSource.OpenConnection();
        using var tx = connection.BeginTransaction();
        using (var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", connection, tx)) readOnly.ExecuteNonQuery();
        // By position: the order the silos appended them, so per twin the order the twin accepted them.
        using var c = new NpgsqlCommand($"SELECT position, twin, at, kind, data FROM {PostgreSqlTwinRecorder.Table} WHERE at >= @from AND at < @to ORDER BY position", connection, tx);
        c.Parameters.AddWithValue("from", from.UtcTicks);
        c.Parameters.AddWithValue("to", to.UtcTicks);
        using var r = c.ExecuteReader();
        foreach (var row in RecordedRowReader.Read(r, twins, cancellationToken)) yield return row;
    }

    /// <inheritdoc />
    public RecordedEntry Decode(RecordedRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return RecordingCodec.Decode(location, row.TwinId, row.Position, row.AtTicks, row.Kind, row.Data, _schemas, _names);
    }
}
