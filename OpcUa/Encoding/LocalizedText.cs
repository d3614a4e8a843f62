namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>A text with an optional locale.</summary>
/// <param name="Locale">The locale (e.g. en-US), or null.</param>
/// <param name="Text">The text, or null.</param>
public readonly record struct LocalizedText(string? Locale, string? Text)
{
    /// <inheritdoc />
    public override string ToString() => Text ?? "";
}
