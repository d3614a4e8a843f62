namespace Imv.Silo.Hosting;

/// <summary>Registers the embedded SQLite providers (grain storage with the write-behind journal, reminders) on
/// one file, tuned by the <c>Silo:Sqlite</c> section.</summary>
internal static class SqliteStorageSetup
{
    public static void UseSqlite(ISiloBuilder silo, SiloSettings settings) => throw new NotImplementedException(settings.SqlitePath + silo);
}
