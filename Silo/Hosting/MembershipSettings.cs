namespace Imv.Silo.Hosting;

/// <summary>How fast a cluster declares a silo dead (<c>Silo:Membership</c>, Orleans' <c>ClusterMembershipOptions</c>).
/// Used with a shared membership table (<c>Silo:Clustering</c> AdoNet or AzureStorage). Orleans' defaults (probe
/// timeout 5 s, 3 missed probes) take 15 s or more; a plant wants its twins back within 5 s, so Imv probes every
/// second and declares a silo dead after 2 missed probes, confirmed by 2 voters (or every other silo when fewer).</summary>
public sealed class MembershipSettings
{
    /// <summary>The section.</summary>
    public const string SectionName = SiloSettings.SectionName + ":Membership";

    /// <summary>How often each silo probes its monitored peers, and how long a probe may take (Orleans' ProbeTimeout). Default 1 s.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Missed probes after which a silo suspects a peer (Orleans' NumMissedProbesLimit). Default 2.</summary>
    public int NumMissedProbesLimit { get; set; } = 2;

    /// <summary>Suspicions that declare a peer dead (Orleans' NumVotesForDeathDeclaration; Orleans uses fewer when fewer
    /// silos are alive). Default 2.</summary>
    public int NumVotesForDeathDeclaration { get; set; } = 2;

    /// <summary>How often a silo writes its heartbeat to the membership table (Orleans' IAmAliveTablePublishTimeout);
    /// peers that see no heartbeat for long are not counted as voters. Default 10 s.</summary>
    public TimeSpan IAmAliveTablePublishTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
