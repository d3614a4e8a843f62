namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>Vendor diagnostics returned with a result; indices point into the response's string table.</summary>
public sealed record DiagnosticInfo
{
    /// <summary>Index of the symbolic id in the string table, or -1.</summary>
    public int SymbolicId { get; init; } = -1;
    /// <summary>Index of the namespace URI in the string table, or -1.</summary>
    public int NamespaceUri { get; init; } = -1;
    /// <summary>Index of the locale in the string table, or -1.</summary>
    public int Locale { get; init; } = -1;
    /// <summary>Index of the localized text in the string table, or -1.</summary>
    public int LocalizedText { get; init; } = -1;
    /// <summary>Vendor-specific text.</summary>
    public string? AdditionalInfo { get; init; }
    /// <summary>The status code of a nested operation, if any.</summary>
    public uint? InnerStatusCode { get; init; }
    /// <summary>The nested diagnostics, if any.</summary>
    public DiagnosticInfo? Inner { get; init; }
}
