namespace Imv.Gateways.Mqtt.Tests;

/// <summary>One mosquitto shared by the tests of the "broker" collection.</summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    public MosquittoBroker Broker { get; private set; } = null!;

    public async Task InitializeAsync() => Broker = await MosquittoBroker.StartAsync();

    public async Task DisposeAsync() => await Broker.DisposeAsync();
}

[CollectionDefinition("broker")]
public sealed class BrokerCollection : ICollectionFixture<BrokerFixture>;
