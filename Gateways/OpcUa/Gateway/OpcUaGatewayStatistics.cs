using Imv.Grains.Interfaces.Plant;

namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>A snapshot of one OPC UA endpoint connection's counters since start, for the API and diagnostics
/// (the same figures are the instruments of <see cref="OpcUaGatewayMetrics"/>).</summary>
/// <param name="Gateway">The endpoint's name.</param>
/// <param name="State">Its connectivity as its twins see it.</param>
/// <param name="Notifications">Data change notifications turned into tag updates.</param>
/// <param name="TypeMismatches">Readings refused because they did not fit their tag's type.</param>
/// <param name="Reconnects">Connections re-established after a loss.</param>
/// <param name="ConnectFailures">Failed attempts to connect or keep the connection, refused logins included.</param>
/// <param name="RefusedLogins">Logins or secured channels the server refused.</param>
public sealed record OpcUaGatewayStatistics(
    string Gateway,
    TwinConnectivity State,
    long Notifications,
    long TypeMismatches,
    long Reconnects,
    long ConnectFailures,
    long RefusedLogins);
