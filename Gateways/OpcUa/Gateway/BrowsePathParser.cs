using System.Globalization;
using Imv.Gateways.OpcUa.Encoding;

namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>Parses configured browse paths: '/'-separated browse names below the Objects folder, each
/// optionally prefixed with its namespace index (<c>Plant/Machine1/2:Speed</c>).</summary>
internal static class BrowsePathParser
{
    public static QualifiedName[] Parse(string path, ushort defaultNamespace)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new FormatException($"Browse path '{path}' is empty.");
        var names = new QualifiedName[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && ushort.TryParse(part.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var ns))
                names[i] = new QualifiedName(ns, part[(colon + 1)..]);
            else
                names[i] = new QualifiedName(defaultNamespace, part);
        }
        return names;
    }
}
