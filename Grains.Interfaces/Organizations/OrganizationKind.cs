namespace Imv.Grains.Interfaces.Organizations;

/// <summary>The level of a virtual organization in the containment tree. A child's level is always
/// deeper (a larger number) than its parent's, which keeps the tree free of cycles; levels may be
/// skipped (a factory may hold lines directly).</summary>
public enum OrganizationKind : byte
{
    /// <summary>A company: the usual root.</summary>
    Enterprise = 0,
    /// <summary>An industrial park: a root, or part of an enterprise.</summary>
    Park = 1,
    /// <summary>A factory or site.</summary>
    Factory = 2,
    /// <summary>A workshop or hall within a factory.</summary>
    Workshop = 3,
    /// <summary>A production line.</summary>
    Line = 4,
    /// <summary>A group of equipment (a cell, a station) holding machine twins.</summary>
    Equipment = 5,
}
