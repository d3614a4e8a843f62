
namespace Imv.Silo.Directory;

/// <summary>The ids the <see cref="IGridCatalogGrain"/> keeps.</summary>
[GenerateSerializer]
public sealed class GridCatalogState
{
    /// <summary>Avatar ids created through the API.</summary>
    [Id(0)] public List<string> Avatars { get; set; } = [];

    /// <summary>Control loop ids created through the API.</summary>
    [Id(1)] public List<string> Loops { get; set; } = [];
}
