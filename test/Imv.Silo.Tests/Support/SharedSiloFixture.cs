using Imv.Silo.Tests.Support;

namespace Imv.Silo.Tests.Support;

/// <summary>One silo shared by the API tests of a collection (starting one costs a few seconds). Its alarm limit
/// on temperature is low (100 degC) so that running machines have an active alarm.</summary>
public sealed class SharedSiloFixture : IAsyncLifetime
{
    /// <summary>The silo.</summary>
    public TestSilo Silo { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Silo = await TestSilo.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Plant:TemperatureHigh"] = "100",
            ["Plant:TemperatureHighHigh"] = "300",
            ["Simulator:InitiallyRunning"] = "0.5",
        });
    }

    /// <inheritdoc />
    public async Task DisposeAsync() => await Silo.DisposeAsync();
}

/// <summary>The tests sharing <see cref="SharedSiloFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class SharedSiloCollection : ICollectionFixture<SharedSiloFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "shared silo";
}
