using Xunit;

namespace Imv.OpcUa.Tests;

/// <summary>One PLC shared by the tests of a collection.</summary>
public sealed class PlcFixture : IAsyncLifetime
{
    public PlcProcess Plc { get; } = new("--bulk", "1000", "--bulk-interval", "200");

    public string EndpointUrl => Plc.EndpointUrl;

    public Task InitializeAsync() => Plc.StartAsync();

    public Task DisposeAsync() => Plc.StopAsync();
}

[CollectionDefinition(Name)]
public sealed class PlcCollection : ICollectionFixture<PlcFixture>
{
    public const string Name = "PLC";
}
