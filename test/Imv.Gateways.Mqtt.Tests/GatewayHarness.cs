using Imv.Gateways.MqttGateway;
using Microsoft.Extensions.Logging;

namespace Imv.Gateways.Mqtt.Tests;

/// <summary>A gateway connection with a collecting sink and a collecting logger.</summary>
public sealed class GatewayHarness : IAsyncDisposable
{
    private GatewayHarness(MqttGatewayConnection connection, CollectingSink sink, TestLogger logger)
    {
        Connection = connection;
        Sink = sink;
        Logger = logger;
    }

    public MqttGatewayConnection Connection { get; }
    public CollectingSink Sink { get; }
    public TestLogger Logger { get; }

    public static Task<GatewayHarness> StartAsync(MosquittoBroker broker, MqttClientKind client, Action<MqttGatewayOptions> configure) =>
        StartAsync(broker, o =>
        {
            o.Client = client;
            configure(o);
        });

    public static async Task<GatewayHarness> StartAsync(MosquittoBroker broker, Action<MqttGatewayOptions> configure)
    {
        var options = new MqttGatewayOptions
        {
            Name = "gw-" + Guid.NewGuid().ToString("N")[..6],
            Host = "127.0.0.1",
            Port = broker.Port,
            ReconnectMinDelayMs = 50,
            ReconnectMaxDelayMs = 500,
        };
        configure(options);
        var sink = new CollectingSink();
        var logger = new TestLogger();
        var connection = new MqttGatewayConnection(options, sink, new SingleLoggerFactory(logger));
        await connection.StartAsync(Wait.Token());
        return new GatewayHarness(connection, sink, logger);
    }

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();

    private sealed class SingleLoggerFactory(ILogger logger) : ILoggerFactory
    {
        public void AddProvider(ILoggerProvider provider) { }
        public ILogger CreateLogger(string categoryName) => logger;
        public void Dispose() { }
    }
}
