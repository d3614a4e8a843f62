using Imv.Grains.Interfaces.Plant;
using Microsoft.Extensions.Hosting;

namespace Imv.Gateways.MqttGateway;

/// <summary>Runs the <see cref="MqttGatewayService"/> in a .NET host, delivering into the registered
/// <see cref="IPlantEventSink"/>.</summary>
public sealed class MqttGatewayHostedService : IHostedService
{
    private readonly MqttGatewayService _service;
    private readonly IPlantEventSink _sink;

    /// <summary>Created by dependency injection.</summary>
    public MqttGatewayHostedService(MqttGatewayService service, IPlantEventSink sink)
    {
        _service = service;
        _sink = sink;
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => _service.StartAsync(_sink, cancellationToken);

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => _service.StopAsync(cancellationToken);
}
