namespace Imv.Persistence.Recording;

/// <summary>The plant recording (the <c>Recording</c> section, docs/main-job.md): every reading a twin accepts and
/// every command transition, appended per twin in order to a SQLite file of its own beside the grain state, or to the
/// PostgreSQL database every silo of a cluster shares (<see cref="Provider"/>).</summary>
public sealed class RecordingOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Recording";

    /// <summary><see cref="Provider"/>: a SQLite file beside the grain state.</summary>
    public const string Sqlite = "Sqlite";

    /// <summary><see cref="Provider"/>: the PostgreSQL database of <c>ConnectionStrings:PostgreSql</c>.</summary>
    public const string PostgreSql = "PostgreSql";

    /// <summary>Where the recording is kept: <see cref="Sqlite"/>, <see cref="PostgreSql"/>, or empty (default): follows
    /// the grain storage (PostgreSQL when the grain state is, else SQLite).</summary>
    public string Provider { get; set; } = "";

    /// <summary>Record at all (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The recording's file; empty: beside the grain state (<c>Silo:SqlitePath</c> with the extension
    /// <c>.recording.db</c>).</summary>
    public string Path { get; set; } = "";

    /// <summary>Entries older than this are deleted (default 7 days).</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>When the recording holds more than this many MiB, its oldest entries are deleted (default 10,240). SQLite:
    /// the file's pages in use. PostgreSQL: the bytes appended as counted per commit (entries, twin ids and an estimated
    /// 64 bytes of row and index overhead each), not the tables' size on disk.</summary>
    public long MaxSizeMb { get; set; } = 10_240;

    /// <summary>Accepted batches waiting for the writer at most; beyond, new ones are dropped, counted and logged
    /// (default 262,144).</summary>
    public int QueueCapacity { get; set; } = 262_144;

    /// <summary>How long the writer gathers entries before one group commit (default 200 ms): the most a crash can
    /// lose of the recording (the twins' state is not concerned: it has its own journal).</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often retention runs (default 1 minute).</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Every problem of these settings, each naming its key under <paramref name="section"/>.</summary>
    public IReadOnlyList<string> Problems(string section = SectionName)
    {
        var problems = new List<string>();
        if (Provider is not ("" or Sqlite or PostgreSql))
            problems.Add($"{section}:{nameof(Provider)} = '{Provider}': must be {Sqlite} or {PostgreSql} (or empty: follows Silo:Storage)");
        if (MaxAge <= TimeSpan.Zero) problems.Add($"{section}:{nameof(MaxAge)} = '{MaxAge}': must be positive");
        if (MaxSizeMb < 1) problems.Add($"{section}:{nameof(MaxSizeMb)} = '{MaxSizeMb}': must be at least 1");
        if (QueueCapacity < 16) problems.Add($"{section}:{nameof(QueueCapacity)} = '{QueueCapacity}': must be at least 16");
        if (FlushInterval < TimeSpan.Zero || FlushInterval > TimeSpan.FromSeconds(10))
            problems.Add($"{section}:{nameof(FlushInterval)} = '{FlushInterval}': must be between 00:00:00 and 00:00:10");
        if (RetentionInterval < TimeSpan.FromSeconds(1)) problems.Add($"{section}:{nameof(RetentionInterval)} = '{RetentionInterval}': must be at least 00:00:01");
        return problems;
    }
}
