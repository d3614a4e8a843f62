namespace Imv.Silo.Hosting;

/// <summary>The PostgreSQL database behind <c>AdoNet</c> clustering, storage or reminders (<c>Silo:Database</c>); the
/// connection string is <c>ConnectionStrings:PostgreSql</c>.</summary>
public sealed class DatabaseSettings
{
    /// <summary>The section.</summary>
    public const string SectionName = SiloSettings.SectionName + ":Database";

    /// <summary>The connection string's name under <c>ConnectionStrings</c>.</summary>
    public const string ConnectionStringName = "PostgreSql";

    /// <summary>Apply the schema scripts the database lacks when the silo starts (otherwise a database older than the
    /// code stops the start, naming both versions). Default false: production applies them with
    /// <c>dotnet run --project Silo -- migrate</c>.</summary>
    public bool Migrate { get; set; }

    /// <summary>The longest wait between two attempts to reach the database at start (the wait doubles from 0.5 s).
    /// Default 10 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);
}
