using Imv.Gateways.OpcUa.Client;
using Imv.Gateways.OpcUa.Encoding;
using Imv.Gateways.OpcUa.Transport;

namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>A server's NamespaceArray (Server_NamespaceArray, i=2255): the index of each namespace URI
/// on that server. Configuration may name namespaces by URI, which stays right when the server
/// reorders or adds namespaces; the indexes are looked up here when the mapping is resolved.</summary>
internal sealed class NamespaceTable(IReadOnlyList<string> uris, string endpointUrl)
{
    public IReadOnlyList<string> Uris { get; } = uris;

    public static async Task<NamespaceTable> ReadAsync(UaClient client, CancellationToken cancellationToken)
    {
        var value = await client.ReadValueAsync(WellKnownNodes.NamespaceArray, cancellationToken).ConfigureAwait(false);
        if (new StatusCode(value.StatusCode).IsBad)
            throw new UaServiceException(value.StatusCode, $"Reading the NamespaceArray of {client.Options.EndpointUrl} failed");
        if (value.Value.Value is not string?[] uris)
            throw new UaServiceException(StatusCode.BadTypeMismatch, $"The NamespaceArray of {client.Options.EndpointUrl} is not a String array");
        return new NamespaceTable(uris.Select(u => u ?? "").ToArray(), client.Options.EndpointUrl);
    }

    /// <summary>The index of <paramref name="uri"/>; fails naming <paramref name="where"/> (the
    /// configured value) and the server's namespaces when the server does not have it.</summary>
    public ushort IndexOf(string uri, string where)
    {
        for (var i = 0; i < Uris.Count; i++)
        {
            if (string.Equals(Uris[i], uri, StringComparison.Ordinal)) return (ushort)i;
        }
        throw new UaServiceException(StatusCode.BadNodeIdUnknown,
            $"{where}: namespace '{uri}' is not in the NamespaceArray of {endpointUrl} ({string.Join(", ", Uris.Select((u, i) => $"{i}: {u}"))})");
    }
}
