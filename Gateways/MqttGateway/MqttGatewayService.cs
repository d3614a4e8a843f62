using Imv.Grains.Interfaces.Plant;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Gateways.MqttGateway;

/// <summary>All configured MQTT gateway connections of a silo, started and stopped together.</summary>
public sealed class MqttGatewayService : IAsyncDisposable
{
    private readonly IReadOnlyList<MqttGatewayOptions> _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly List<MqttGatewayConnection> _connections = new();

    /// <summary>Creates the service for a list of connections (validated at start).</summary>
    public MqttGatewayService(IReadOnlyList<MqttGatewayOptions> options, ILoggerFactory? loggerFactory = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
    }

    /// <summary>The connections, once started; each is the <see cref="IPlantGateway"/> of its twins.</summary>
    public IReadOnlyList<MqttGatewayConnection> Connections => _connections;

    /// <summary>The gateway connection with this name (<see cref="TwinDescription.Gateway"/>), or null.</summary>
    public IPlantGateway? FindGateway(string name) => _connections.FirstOrDefault(c => c.Name == name);

    /// <summary>Validates the configuration (throwing <see cref="MqttGatewayConfigurationException"/> naming each bad
    /// key and value) and starts every connection, delivering into <paramref name="sink"/>.</summary>
    public async Task StartAsync(IPlantEventSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (_connections.Count > 0) throw new InvalidOperationException("The MQTT gateway service is already started.");
        MqttGatewayOptionsValidator.ThrowIfInvalid(_options);
        foreach (var options in _options) _connections.Add(new MqttGatewayConnection(options, sink, _loggerFactory));
        await Task.WhenAll(_connections.Select(c => c.StartAsync(cancellationToken))).ConfigureAwait(false);
    }

    /// <summary>The names of the configured connections (started or not).</summary>
    public IReadOnlyList<string> ConfiguredNames => [.. _options.Select(o => o.Name)];

    /// <summary>Starts the one connection named <paramref name="name"/> (a cluster runs each connection on one silo:
    /// the silo that owns it starts it alone); returns false when it is already running here.</summary>
    public async Task<bool> StartOneAsync(string name, IPlantEventSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        MqttGatewayConnection connection;
        lock (_connections)
        {
            if (_connections.Any(c => c.Name == name)) return false;
            MqttGatewayOptionsValidator.ThrowIfInvalid(_options);
            var options = _options.FirstOrDefault(o => o.Name == name) ?? throw new ArgumentException($"No MQTT gateway connection '{name}' is configured.", nameof(name));
            connection = new MqttGatewayConnection(options, sink, _loggerFactory);
            _connections.Add(connection);
        }
        await connection.StartAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Stops and forgets the connection named <paramref name="name"/> if it runs here.</summary>
    public async Task StopOneAsync(string name, CancellationToken cancellationToken)
    {
        MqttGatewayConnection? connection;
        lock (_connections)
        {
            connection = _connections.FirstOrDefault(c => c.Name == name);
            if (connection is not null) _connections.Remove(connection);
        }
        if (connection is null) return;
        await connection.StopAsync(cancellationToken).ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops every connection.</summary>
    public async Task StopAsync(CancellationToken cancellationToken) =>
        await Task.WhenAll(_connections.Select(c => c.StopAsync(cancellationToken))).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var c in _connections) await c.DisposeAsync().ConfigureAwait(false);
        _connections.Clear();
    }
}
