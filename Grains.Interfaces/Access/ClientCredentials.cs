namespace Imv.Grains.Interfaces.Access;

/// <summary>How an Orleans client presents its API key: in the <c>RequestContext</c> of every grain call, under
/// <see cref="ApiKeyEntry"/> (the SDK's outgoing grain call filter puts it there). The silo takes it out again before
/// the grain runs, so it never travels further (to other grains, or to other clients' observers).</summary>
public static class ClientCredentials
{
    /// <summary>The RequestContext entry holding the API key (<c>imv_…</c>).</summary>
    public const string ApiKeyEntry = "imv.apiKey";
}
