using Imv.Grains.Interfaces.Plant;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>All configured OPC UA endpoints of a silo. Validates the configuration, starts one
/// <see cref="OpcUaEndpointConnection"/> per endpoint delivering into the given sink, and exposes them
/// as <see cref="IPlantGateway"/>s for commands.</summary>
public sealed class OpcUaGatewayService : IAsyncDisposable
{
    private readonly IReadOnlyList<OpcUaEndpointOptions> _endpoints;
    private readonly ILoggerFactory _loggerFactory;
    private readonly List<OpcUaEndpointConnection> _connections = [];

    /// <summary>Creates the service; throws when the configuration is invalid, naming each bad key.</summary>
    public OpcUaGatewayService(IReadOnlyList<OpcUaEndpointOptions> endpoints, ILoggerFactory? loggerFactory = null)
    {
        _endpoints = endpoints ?? throw new ArgumentNullException(nameof(endpoints));
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        var errors = OpcUaOptionsValidator.Validate(endpoints);
        if (errors.Count > 0)
            throw new InvalidOperationException("Invalid OPC UA gateway configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
    }

    /// <summary>The endpoint connections (after <see cref="StartAsync"/>).</summary>
    public IReadOnlyList<OpcUaEndpointConnection> Connections => _connections;

    /// <summary>The connections as plant gateways, for routing commands by gateway name.</summary>
    public IReadOnlyList<IPlantGateway> Gateways => _connections;

    /// <summary>Starts every endpoint; each connects and reconnects in the background.</summary>
    public async Task StartAsync(IPlantEventSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (_connections.Count > 0) throw new InvalidOperationException("The OPC UA gateway is already started.");
        foreach (var endpoint in _endpoints)
        {
            var connection = new OpcUaEndpointConnection(endpoint, sink, _loggerFactory.CreateLogger("Imv.Gateways.OpcUa." + endpoint.Name));
            _connections.Add(connection);
            await connection.StartAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The names of the configured endpoints (started or not).</summary>
    public IReadOnlyList<string> ConfiguredNames => [.. _endpoints.Select(e => e.Name)];

    /// <summary>Starts the one endpoint named <paramref name="name"/> (a cluster runs each endpoint on one silo: the
    /// silo that owns it starts it alone); returns false when it is already running here.</summary>
    public async Task<bool> StartOneAsync(string name, IPlantEventSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        OpcUaEndpointConnection connection;
        lock (_connections)
        {
            if (_connections.Any(c => c.Name == name)) return false;
            var endpoint = _endpoints.FirstOrDefault(e => e.Name == name) ?? throw new ArgumentException($"No OPC UA endpoint '{name}' is configured.", nameof(name));
            connection = new OpcUaEndpointConnection(endpoint, sink, _loggerFactory.CreateLogger("Imv.Gateways.OpcUa." + endpoint.Name));
            _connections.Add(connection);
        }
        await connection.StartAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Stops (closing its session) and forgets the endpoint named <paramref name="name"/> if it runs here.</summary>
    public async Task StopOneAsync(string name, CancellationToken cancellationToken)
    {
        OpcUaEndpointConnection? connection;
        lock (_connections)
        {
            connection = _connections.FirstOrDefault(c => c.Name == name);
            if (connection is not null) _connections.Remove(connection);
        }
        if (connection is null) return;
        await connection.StopAsync(cancellationToken).ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops every endpoint and closes their sessions.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var connection in _connections) await connection.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections) await connection.DisposeAsync().ConfigureAwait(false);
        _connections.Clear();
    }
}
