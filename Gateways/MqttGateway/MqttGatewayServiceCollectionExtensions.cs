using Imv.Gateways.MqttGateway;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the MQTT gateways of a silo.</summary>
public static class MqttGatewayServiceCollectionExtensions
{
    /// <summary>Binds the list under <c>Gateways:Mqtt</c>, registers <see cref="MqttGatewayService"/> and a hosted
    /// service that starts it with the registered <see cref="Imv.Grains.Interfaces.Plant.IPlantEventSink"/>.
    /// The configuration is validated when the host starts.</summary>
    public static IServiceCollection AddMqttGateways(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(MqttGatewayOptions.SectionName).Get<List<MqttGatewayOptions>>() ?? new List<MqttGatewayOptions>();
        services.AddSingleton(sp => new MqttGatewayService(options, sp.GetService<ILoggerFactory>()));
        services.AddHostedService<MqttGatewayHostedService>();
        return services;
    }
}
