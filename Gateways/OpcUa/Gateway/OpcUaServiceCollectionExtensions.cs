using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>Registers the OPC UA gateway with dependency injection.</summary>
public static class OpcUaServiceCollectionExtensions
{
    /// <summary>Binds the endpoint list under <c>Gateways:OpcUa</c> and registers
    /// <see cref="OpcUaGatewayService"/> as a singleton; the configuration is validated when the service
    /// is first resolved, with errors naming each bad key and value.</summary>
    public static IServiceCollection AddOpcUaGateways(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var endpoints = Bind(configuration);
        services.AddSingleton<IReadOnlyList<OpcUaEndpointOptions>>(endpoints);
        services.AddSingleton(sp => new OpcUaGatewayService(endpoints, sp.GetService<ILoggerFactory>()));
        return services;
    }

    /// <summary>Reads the endpoint list from configuration (empty when the section is missing).</summary>
    public static List<OpcUaEndpointOptions> Bind(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var endpoints = new List<OpcUaEndpointOptions>();
        configuration.GetSection(OpcUaOptionsValidator.Section).Bind(endpoints);
        return endpoints;
    }
}
