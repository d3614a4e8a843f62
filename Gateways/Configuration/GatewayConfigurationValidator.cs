using Imv.Gateways.MqttGateway;
using Imv.Gateways.OpcUa.Gateway;
using Imv.Gateways.Simulation;
using Microsoft.Extensions.Configuration;

namespace Imv.Gateways.Configuration;

/// <summary>Validates everything the gateways read from configuration (<c>Gateways:OpcUa</c>, <c>Gateways:Mqtt</c>
/// and, when enabled, <c>Simulator</c>) as a whole, before anything opens: unknown or misspelt keys, values of the
/// wrong type, lists written as objects, and every rule of each gateway's own validator. Every problem of every
/// gateway is reported at once, each naming its key (<c>Gateways:OpcUa:0:EndpointUrl = 'http://plc' is not an
/// opc.tcp:// URL.</c>). A host calls <see cref="ThrowIfInvalid"/> first thing and turns
/// <see cref="GatewayConfigurationException"/> into a list on the console and exit code 2.</summary>
public static class GatewayConfigurationValidator
{
    /// <summary>Every problem found, one line each; empty when the configuration is valid.</summary>
    /// <param name="configuration">The host's configuration (the root, or any section holding <c>Gateways</c>).</param>
    /// <param name="checkFiles">Check that files named by the configuration (certificates, keys) exist; false to
    /// judge a configuration meant for another machine.</param>
    public static IReadOnlyList<string> Validate(IConfiguration configuration, bool checkFiles = true)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var errors = new List<string>();

        var gateways = configuration.GetSection("Gateways");
        foreach (var child in gateways.GetChildren())
        {
            if (!child.Key.Equals("OpcUa", StringComparison.OrdinalIgnoreCase) && !child.Key.Equals("Mqtt", StringComparison.OrdinalIgnoreCase))
                errors.Add($"{child.Path} is not a known gateway; known: Gateways:OpcUa, Gateways:Mqtt.");
        }

        var opcUa = configuration.GetSection(OpcUaOptionsValidator.Section);
        var endpoints = Bind<OpcUaEndpointOptions>(opcUa, errors);
        if (endpoints is not null)
            errors.AddRange(OpcUaOptionsValidator.Validate(endpoints, checkFiles));

        var mqtt = configuration.GetSection(MqttGatewayOptions.SectionName);
        var connections = Bind<MqttGatewayOptions>(mqtt, errors);
        if (connections is not null)
            errors.AddRange(MqttGatewayOptionsValidator.Validate(connections, checkFiles));

        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        void Name(string name, string key)
        {
            if (string.IsNullOrWhiteSpace(name)) return;
            if (names.TryGetValue(name, out var other)) errors.Add($"{key} = '{name}' is also the name of {other}; commands find their gateway by name, so names must differ across gateways.");
            else names[name] = key;
        }
        var index = 0;
        foreach (var e in endpoints ?? []) Name(e.Name, $"{OpcUaOptionsValidator.Section}:{index++}:Name");
        index = 0;
        foreach (var c in connections ?? []) Name(c.Name, $"{MqttGatewayOptions.SectionName}:{index++}:Name");

        var simulatorSection = configuration.GetSection(SimulatorOptions.SectionName);
        if (simulatorSection.Exists())
        {
            var unbindable = ConfigurationShape.Check(simulatorSection, typeof(SimulatorOptions), errors);
            {
                var simulator = new SimulatorOptions();
                ConfigurationShape.Without(simulatorSection, unbindable).Bind(simulator);
                if (simulator.Enabled)
                {
                    errors.AddRange(simulator.Validate());
                    Name(simulator.GatewayName, $"{SimulatorOptions.SectionName}:GatewayName");
                }
            }
        }
        return errors;
    }

    /// <summary>Throws <see cref="GatewayConfigurationException"/> listing every problem when there is any.</summary>
    /// <param name="configuration">The host's configuration.</param>
    /// <param name="checkFiles">Check that files named by the configuration exist.</param>
    public static void ThrowIfInvalid(IConfiguration configuration, bool checkFiles = true)
    {
        var problems = Validate(configuration, checkFiles);
        if (problems.Count > 0) throw new GatewayConfigurationException(problems);
    }

    private static List<T>? Bind<T>(IConfigurationSection section, List<string> errors)
    {
        if (!section.Exists()) return [];
        // Values that cannot be bound are reported and left out, so that every other problem is found too.
        var unbindable = ConfigurationShape.Check(section, typeof(List<T>), errors);
        var list = new List<T>();
        try
        {
            ConfigurationShape.Without(section, unbindable).Bind(list);
        }
        catch (InvalidOperationException ex)
        {
            errors.Add($"{section.Path}: {ex.Message}");
            return null;
        }
        return list;
    }
}
