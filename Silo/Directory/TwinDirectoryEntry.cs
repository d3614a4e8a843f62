using Imv.Grains.Interfaces.Twins;

namespace Imv.Silo.Directory;

/// <summary>What the silo knows about a twin without asking it: enough to list and filter twins.</summary>
/// <param name="TwinId">The twin's id.</param>
/// <param name="Kind">Equipment, material or product.</param>
/// <param name="OrganizationId">The organization the twin reports to; null when none is known.</param>
/// <param name="Gateway">The gateway connection the twin is reached through; null when unknown.</param>
public sealed record TwinDirectoryEntry(string TwinId, TwinKind Kind, string? OrganizationId, string? Gateway);
