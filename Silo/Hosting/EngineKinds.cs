namespace Imv.Silo.Hosting;

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
