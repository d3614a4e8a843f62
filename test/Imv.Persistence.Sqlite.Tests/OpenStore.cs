namespace Imv.Persistence.Sqlite.Tests;

/// <summary>A database and its grain state store, opened together and closed store first (the engine under the
/// Orleans provider, tested on bytes).</summary>
internal sealed class OpenStore : IAsyncDisposable
{
    public OpenStore(SqliteStorageOptions options)
    {
        Database = new SqliteDatabase(options);
        try
        {
            Grains = new GrainStateStore(Database, options);
        }
        catch
        {
            Database.Dispose();
            throw;
        }
    }

    public SqliteDatabase Database { get; }

    public GrainStateStore Grains { get; }

    public async ValueTask DisposeAsync()
    {
        await Grains.DisposeAsync();
        Database.Dispose();
    }
}
