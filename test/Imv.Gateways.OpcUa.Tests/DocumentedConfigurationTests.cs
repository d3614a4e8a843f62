using System.Text.Json;
using System.Text.RegularExpressions;
using Imv.Gateways.Configuration;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace Imv.Gateways.OpcUa.Tests;

/// <summary>The example configurations in the docs are valid under the gateways' validators, and the
/// validator reports every problem of every gateway at once, each naming its key.</summary>
public sealed partial class DocumentedConfigurationTests
{
    [GeneratedRegex("```json\\s*\\n(.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    private static string DocsDirectory
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null)
            {
                var candidate = Path.Combine(dir.FullName, "docs");
                if (File.Exists(Path.Combine(candidate, "opcua.md"))) return candidate;
                dir = dir.Parent;
            }
            throw new InvalidOperationException("docs/ not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The JSON blocks of a doc that configure gateways or the simulator.</summary>
    private static List<string> ConfigurationExamples(string doc)
    {
        var text = File.ReadAllText(Path.Combine(DocsDirectory, doc));
        var examples = new List<string>();
        foreach (Match match in JsonBlock().Matches(text))
        {
            var json = match.Groups[1].Value;
            using var parsed = JsonDocument.Parse(json);
            if (parsed.RootElement.ValueKind == JsonValueKind.Object
                && (parsed.RootElement.TryGetProperty("Gateways", out _) || parsed.RootElement.TryGetProperty("Simulator", out _)))
                examples.Add(json);
        }
        return examples;
    }

    private static IConfiguration Load(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();

    [Theory]
    [InlineData("main-job.md", 1)]
    [InlineData("opcua.md", 2)]
    [InlineData("mqtt.md", 1)]
    public void Every_documented_example_configuration_is_valid(string doc, int atLeast)
    {
        var examples = ConfigurationExamples(doc);
        Assert.True(examples.Count >= atLeast, $"{doc}: {examples.Count} example configurations found, expected at least {atLeast}");
        foreach (var json in examples)
        {
            // The examples name certificate files of the reader's machine: everything but their existence is checked.
            var problems = GatewayConfigurationValidator.Validate(Load(json), checkFiles: false);
            Assert.True(problems.Count == 0, $"{doc}: example\n{json}\nhas problems:\n{string.Join("\n", problems)}");
        }
    }

    [Fact]
    public void Every_problem_of_every_gateway_is_reported_at_once_naming_its_key()
    {
        const string json = """
        {
          "Simulator": { "Enabled": false, "Sitez": 3 },
          "Gateways": {
            "OpcUa": [
              { "Name": "plc-1", "EndpointUrl": "http://10.0.0.20:4840" },
              { "Name": "plc-2", "EndpointUri": "opc.tcp://10.0.0.21:4840", "RequestTimeoutMs": "soon", "Discovery": [ { "Root": "Plant" } ] }
            ],
            "Mqtt": [ { "Name": "plc-1", "Host": "10.0.0.5", "Mode": "SparkplugB", "Port": 70000 } ],
            "Modbus": [ { "Name": "x" } ]
          }
        }
        """;
        var problems = GatewayConfigurationValidator.Validate(Load(json));
        var text = string.Join("\n", problems);
        Assert.Contains("Gateways:OpcUa:0:EndpointUrl = 'http://10.0.0.20:4840' is not an opc.tcp:// URL.", problems);
        Assert.Contains("Gateways:OpcUa:0: maps no nodes", text, StringComparison.Ordinal);
        Assert.Contains("Gateways:OpcUa:1:EndpointUri is not a known key (did you mean Gateways:OpcUa:1:EndpointUrl?)", text, StringComparison.Ordinal);
        Assert.Contains("Gateways:OpcUa:1:RequestTimeoutMs = 'soon' is not a whole number.", problems);
        Assert.Contains("Gateways:Modbus is not a known gateway", text, StringComparison.Ordinal);
        Assert.Contains("Simulator:Sitez is not a known key (did you mean Simulator:Sites?)", text, StringComparison.Ordinal);
        // The MQTT section is judged although the OPC UA one is broken.
        Assert.Contains("Gateways:Mqtt:0:Port: '70000' is not a port (1..65535).", problems);
        Assert.Contains("Gateways:Mqtt:0:Sparkplug:GroupIds", text, StringComparison.Ordinal);
        Assert.Contains("Gateways:Mqtt:0:Name = 'plc-1' is also the name of Gateways:OpcUa:0:Name", text, StringComparison.Ordinal);

        var error = Assert.Throws<GatewayConfigurationException>(() => GatewayConfigurationValidator.ThrowIfInvalid(Load(json)));
        Assert.Equal(problems, error.Problems);
        Assert.StartsWith($"Invalid gateway configuration ({problems.Count} problems):", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_list_written_as_an_object_is_named()
    {
        var problems = GatewayConfigurationValidator.Validate(Load("""{ "Gateways": { "OpcUa": { "Endpoints": [ { "Name": "plc" } ] } } }"""));
        Assert.Contains(problems, p => p.StartsWith("Gateways:OpcUa:Endpoints is not a list index: Gateways:OpcUa is a list", StringComparison.Ordinal));
    }
}
