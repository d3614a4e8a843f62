namespace Imv.Silo.Hosting;

/// <summary>The values of <c>Silo:Clustering</c>.</summary>
public static class ClusteringKinds
{
    /// <summary>One silo on the loopback interface; nothing shared (the default).</summary>
    public const string Localhost = "Localhost";

    /// <summary>Orleans' ADO.NET membership table on PostgreSQL.</summary>
    public const string AdoNet = "AdoNet";

    /// <summary>Orleans' Azure Table storage membership table.</summary>
    public const string AzureStorage = "AzureStorage";

    /// <summary>Every value, for messages.</summary>
    public static readonly string[] All = [Localhost, AdoNet, AzureStorage];
}

/// <summary>The values of <c>Silo:Storage</c> and <c>Silo:Reminders</c>.</summary>
public static class StorageKinds
{
    /// <summary>The embedded SQLite file with its write-behind journal (one silo).</summary>
    public const string Sqlite = "Sqlite";

    /// <summary>Orleans' ADO.NET providers on PostgreSQL.</summary>
    public const string AdoNet = "AdoNet";

    /// <summary>Orleans' Azure Table storage providers.</summary>
    public const string AzureStorage = "AzureStorage";

    /// <summary>In memory: nothing survives a restart.</summary>
    public const string Memory = "Memory";

    /// <summary>Every value, for messages.</summary>
    public static readonly string[] All = [Sqlite, AdoNet, AzureStorage, Memory];
}
