namespace Imv.Silo.Tests.Support;

/// <summary>One PostgreSQL server shared by the tests of the "PostgreSQL" collection (each test creates its own
/// database): starting a server takes seconds, a database milliseconds.</summary>
public sealed class PostgreSqlFixture : IAsyncLifetime
{
    private PostgreSqlServer? _server;

    /// <summary>The running server.</summary>
    public PostgreSqlServer Server => _server ?? throw new InvalidOperationException("The server did not start.");

    /// <inheritdoc />
    public async Task InitializeAsync() => _server = await PostgreSqlServer.StartAsync();

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}

/// <summary>The tests sharing one PostgreSQL server.</summary>
[CollectionDefinition(Name)]
public sealed class PostgreSqlCollection : ICollectionFixture<PostgreSqlFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "PostgreSQL";
}
