using Imv.Grains.Interfaces.Access;

namespace Imv.Client.Connection;

/// <summary>Sends the client's API key with every grain call (Orleans' outgoing grain call filter, the key in the
/// call's <c>RequestContext</c> under <see cref="ClientCredentials.ApiKeyEntry"/>): the silo's gate authenticates each
/// call with it. The key is never logged.</summary>
internal sealed class ApiKeyCallFilter(string apiKey) : IOutgoingGrainCallFilter
{
    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        // Inside an async method, so the entry stays in this call's context and does not leak into the caller's.
        RequestContext.Set(ClientCredentials.ApiKeyEntry, apiKey);
        await context.Invoke().ConfigureAwait(false);
    }
}
