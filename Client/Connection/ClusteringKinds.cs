namespace Imv.Client.Connection;

/// <summary>The values of <c>Silo:Clustering</c> (and <c>Client:Clustering</c>): how silos find each other and clients find
/// the silos' gateways. Shared by the silo's host and the SDK so that both read one configuration the same way.</summary>
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
