using System.Globalization;
using Imv.Client.Connection;
using Imv.Silo.Tests.Support;

namespace Imv.Client.Tests;

/// <summary>A real silo (the main job's composition, in this process, with the small simulated plant) on a free
/// gateway port, and an SDK client connected to it through Orleans' gateway.</summary>
public sealed class SiloWithClient : IAsyncLifetime
{
    public TestSilo Silo { get; private set; } = null!;
    public ImvClient Imv { get; private set; } = null!;
    public int GatewayPort { get; } = TestSilo.FreePort();
    public int SiloPort { get; } = TestSilo.FreePort();
    public string DataFile { get; } = TestSilo.NewDataFile();

    public static IReadOnlyDictionary<string, string?> Settings(int siloPort, int gatewayPort) => new Dictionary<string, string?>
    {
        ["Silo:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
        ["Silo:GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
        ["Plant:TemperatureHigh"] = "100",
        ["Plant:TemperatureHighHigh"] = "300",
    };

    public async Task InitializeAsync()
    {
        Silo = await TestSilo.StartAsync(DataFile, Settings(SiloPort, GatewayPort));
        Imv = await ImvClient.ConnectAsync(Options(GatewayPort, Silo.AdminKey));
    }

    /// <summary>Client options for the silo's gateway, acting with <paramref name="apiKey"/> (the administrator's:
    /// <see cref="TestSilo.AdminKey"/>; null: none, every call refused).</summary>
    public static ImvClientOptions Options(int gatewayPort, string? apiKey) => new()
    {
        ApiKey = apiKey,
        Gateways = { "127.0.0.1:" + gatewayPort.ToString(CultureInfo.InvariantCulture) },
        RenewInterval = TimeSpan.FromSeconds(1),
        ResponseTimeout = TimeSpan.FromSeconds(10),
    };

    public async Task DisposeAsync()
    {
        await Imv.DisposeAsync();
        await Silo.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class SiloCollection : ICollectionFixture<SiloWithClient>
{
    public const string Name = "silo with client";
}
