
namespace Imv.Silo.Directory;

/// <summary>The ids the <see cref="IGridCatalogGrain"/> keeps.</summary>
[GenerateSerializer]
public sealed class GridCatalogState
{
    /// <summary>Avatar ids created through the API.</summary>
    [Id(0)] public List<string> Avatars { get; set; } = [];

    /// <summary>Control loop ids created through the API.</summary>
    [Id(1)] public List<string> Loops { get; set; } = [];

    /// <summary>Which gateway connection described each twin (twin id -> gateway name), so that after a restart a
    /// gateway that cannot connect turns the twins it described before Offline.</summary>
    [Id(2)] public Dictionary<string, string> TwinGateways { get; set; } = new(StringComparer.Ordinal);
}
