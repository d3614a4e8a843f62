namespace Imv.Grains.Interfaces.Organizations;

/// <summary>A member's role in a virtual organization.</summary>
public enum OrganizationRole : byte
{
    /// <summary>Sees the organization and its aggregates.</summary>
    Viewer = 0,
    /// <summary>Operates the organization's machines.</summary>
    Operator = 1,
    /// <summary>Supervises operators.</summary>
    Supervisor = 2,
    /// <summary>Manages the organization and its members.</summary>
    Manager = 3,
    /// <summary>Owns the organization.</summary>
    Owner = 4,
}
