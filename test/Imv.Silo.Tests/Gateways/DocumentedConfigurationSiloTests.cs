using System.Text.Json;
using System.Text.RegularExpressions;
using Imv.Gateways.Mqtt.Tests;
using Imv.OpcUa.Tests;
using Imv.Silo.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace Imv.Silo.Tests.Gateways;

/// <summary>The node-opcua PLC and a mosquitto broker, shared by the documented-configuration tests.</summary>
public sealed class PlantPeersFixture : IAsyncLifetime
{
    public PlcProcess Plc { get; } = new();

    public MosquittoBroker Broker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Plc.StartAsync();
        Broker = await MosquittoBroker.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Broker.DisposeAsync();
        await Plc.StopAsync();
    }
}

/// <summary>Each example configuration of docs/main-job.md, docs/opcua.md and docs/mqtt.md starts a real silo
/// (the main job's composition) against the fixtures: the example's keys as written, with only what names the
/// reader's machine replaced (addresses point at the fixtures; certificates, credentials and TLS, which the
/// fixtures do not have, are left out; the Silo section is the test's).</summary>
public sealed partial class DocumentedConfigurationSiloTests(PlantPeersFixture peers) : IClassFixture<PlantPeersFixture>
{
    [GeneratedRegex("```json\\s*\\n(.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    [GeneratedRegex(@"^Gateways:OpcUa:\d+:(SecurityMode|SecurityPolicy|UserName|Password|ApplicationUri|PkiPath|ClientCertificatePath|ClientCertificatePassword|TrustedServerCertificateThumbprints(:\d+)?|AutoAcceptUntrustedServerCertificate)$", RegexOptions.IgnoreCase)]
    private static partial Regex OpcUaMachineKey();

    [GeneratedRegex(@"^Gateways:Mqtt:\d+:(Username|Password|Tls(:.*)?)$", RegexOptions.IgnoreCase)]
    private static partial Regex MqttMachineKey();

    private static string DocsDirectory
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null)
            {
                var candidate = Path.Combine(dir.FullName, "docs");
                if (File.Exists(Path.Combine(candidate, "main-job.md"))) return candidate;
                dir = dir.Parent;
            }
            throw new InvalidOperationException("docs/ not found above " + AppContext.BaseDirectory);
        }
    }

    public static TheoryData<string, int> Examples()
    {
        var data = new TheoryData<string, int>();
        foreach (var doc in new[] { "main-job.md", "opcua.md", "mqtt.md" })
            for (int i = 0; i < ConfigurationExamples(doc).Count; i++) data.Add(doc, i);
        return data;
    }

    private static List<string> ConfigurationExamples(string doc)
    {
        var examples = new List<string>();
        foreach (Match match in JsonBlock().Matches(File.ReadAllText(Path.Combine(DocsDirectory, doc))))
        {
            using var parsed = JsonDocument.Parse(match.Groups[1].Value);
            if (parsed.RootElement.ValueKind == JsonValueKind.Object && parsed.RootElement.TryGetProperty("Gateways", out _))
                examples.Add(match.Groups[1].Value);
        }
        return examples;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task The_documented_example_starts_a_silo_whose_gateways_reach_the_fixtures(string doc, int index)
    {
        var json = ConfigurationExamples(doc)[index];
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        var settings = new Dictionary<string, string?>();
        var opcUa = new HashSet<string>();
        var mqtt = new HashSet<string>();
        foreach (var (key, value) in configuration.AsEnumerable())
        {
            if (value is null || key.StartsWith("Silo:", StringComparison.Ordinal)) continue;
            if (OpcUaMachineKey().IsMatch(key) || MqttMachineKey().IsMatch(key)) continue;
            var v = value;
            if (Regex.IsMatch(key, @"^Gateways:OpcUa:\d+:EndpointUrl$")) v = peers.Plc.EndpointUrl;
            else if (Regex.IsMatch(key, @"^Gateways:Mqtt:\d+:Host$")) v = "127.0.0.1";
            else if (Regex.IsMatch(key, @"^Gateways:Mqtt:\d+:Port$")) v = peers.Broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (Regex.Match(key, @"^Gateways:OpcUa:\d+:Name$").Success) opcUa.Add(value);
            if (Regex.Match(key, @"^Gateways:Mqtt:\d+:Name$").Success) mqtt.Add(value);
            settings[key] = v;
        }
        // Connections that leave Host or Port to their defaults still reach the fixture.
        foreach (var section in configuration.GetSection("Gateways:Mqtt").GetChildren())
        {
            settings[$"Gateways:Mqtt:{section.Key}:Host"] = "127.0.0.1";
            settings[$"Gateways:Mqtt:{section.Key}:Port"] = peers.Broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await using var silo = await TestSilo.StartAsync(settings: settings);
        await TestSilo.EventuallyAsync(async () =>
        {
            var gateways = await silo.GetAsync("/api/gateways");
            var online = gateways.GetProperty("opcUa").EnumerateArray().Where(g => g.GetProperty("state").GetString() == "Online").Select(g => g.GetProperty("gateway").GetString()!);
            var connected = gateways.GetProperty("mqtt").EnumerateArray().Where(g => g.GetProperty("state").GetString() == "Connected").Select(g => g.GetProperty("gateway").GetString()!);
            return opcUa.IsSubsetOf(online) && mqtt.IsSubsetOf(connected);
        }, $"{doc} example {index}: every gateway ({string.Join(", ", opcUa.Concat(mqtt))}) online", TimeSpan.FromSeconds(60));
        if (opcUa.Count > 0)
            await TestSilo.EventuallyAsync(async () =>
            {
                var twins = await silo.GetAsync("/api/twins?pageSize=500");
                return twins.GetProperty("items").EnumerateArray().Any(t => opcUa.Contains(t.GetProperty("gateway").GetString() ?? ""));
            }, $"{doc} example {index}: twins described by the OPC UA gateways");
    }
}
