using System.Globalization;
using Imv.Silo.Tests.Support;

namespace Imv.Cli.Tests;

/// <summary>A real silo (the main job's composition with the small simulated plant) on a free gateway port.</summary>
public sealed class CliSilo : IAsyncLifetime
{
    public TestSilo Silo { get; private set; } = null!;
    public int GatewayPort { get; } = TestSilo.FreePort();
    public string Cluster => "127.0.0.1:" + GatewayPort.ToString(CultureInfo.InvariantCulture);

    public async Task InitializeAsync()
    {
        Silo = await TestSilo.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Silo:GatewayPort"] = GatewayPort.ToString(CultureInfo.InvariantCulture),
            ["Plant:TemperatureHigh"] = "100",
            ["Plant:TemperatureHighHigh"] = "300",
        });
    }

    public async Task DisposeAsync() => await Silo.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class CliSiloCollection : ICollectionFixture<CliSilo>
{
    public const string Name = "cli silo";
}
