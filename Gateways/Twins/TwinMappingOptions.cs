namespace Imv.Gateways.Twins;

/// <summary>What a gateway says of one of its twins beyond its tags, under <c>...:Twins:{twinId}</c>: overrides the
/// gateway-wide <c>Status</c>, <c>StaleAfterMs</c> and <c>Organization</c> for that twin.</summary>
public sealed class TwinMappingOptions
{
    /// <summary>The twin's status mapping (replaces the gateway's).</summary>
    public TwinStatusOptions? Status { get; set; }

    /// <summary>The staleness bound of the twin's tags in milliseconds (0: never stale); null: the gateway's.</summary>
    public int? StaleAfterMs { get; set; }

    /// <summary>The organization the twin reports its status to; null: the gateway's.</summary>
    public string? Organization { get; set; }

    /// <summary>The twin's alarm bands (replace the gateway's); null: the gateway's.</summary>
    public List<AlarmBandOptions>? Alarms { get; set; }
}
