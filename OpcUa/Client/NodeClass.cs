namespace Imv.Gateways.OpcUa.Client;

/// <summary>The class of a node (a bit mask on the wire, for browse filters).</summary>
[Flags]
public enum NodeClass
{
    /// <summary>Unspecified (browse filter: all).</summary>
    Unspecified = 0,
    /// <summary>Object.</summary>
    Object = 1,
    /// <summary>Variable.</summary>
    Variable = 2,
    /// <summary>Method.</summary>
    Method = 4,
    /// <summary>ObjectType.</summary>
    ObjectType = 8,
    /// <summary>VariableType.</summary>
    VariableType = 16,
    /// <summary>ReferenceType.</summary>
    ReferenceType = 32,
    /// <summary>DataType.</summary>
    DataType = 64,
    /// <summary>View.</summary>
    View = 128,
}
