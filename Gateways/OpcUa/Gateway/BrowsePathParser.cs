using System.Globalization;
using Imv.Gateways.OpcUa.Encoding;

namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>One element of a configured browse path: a browse name and its namespace, given by index,
/// by URI, or neither (then the endpoint's default namespace applies).</summary>
internal readonly record struct BrowsePathElement(ushort? NamespaceIndex, string? NamespaceUri, string Name);

/// <summary>Parses configured browse paths: '/'-separated browse names below the Objects folder, each
/// optionally qualified by its namespace: an index (<c>2:Speed</c>), or a namespace URI, which may
/// itself contain '/' and ':' (<c>{http://example.com/UA/}Speed</c> or <c>nsu=urn:example:line;Speed</c>).</summary>
internal static class BrowsePathParser
{
    /// <summary>Splits and checks a path; a <see cref="FormatException"/> names the path and the fault.</summary>
    public static BrowsePathElement[] ParseElements(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var elements = new List<BrowsePathElement>();
        var at = 0;
        while (at <= path.Length)
        {
            // Leading spaces and empty elements ("a//b", a trailing '/') are skipped, as before.
            while (at < path.Length && char.IsWhiteSpace(path[at])) at++;
            if (at < path.Length && path[at] == '/')
            {
                at++;
                continue;
            }
            if (at >= path.Length) break;
            ushort? index = null;
            string? uri = null;
            if (path[at] == '{')
            {
                var close = path.IndexOf('}', at + 1);
                if (close < 0) throw new FormatException($"Browse path '{path}': '{{' at position {at} has no closing '}}'.");
                uri = path[(at + 1)..close].Trim();
                if (uri.Length == 0) throw new FormatException($"Browse path '{path}': empty namespace URI '{{}}' at position {at}.");
                at = close + 1;
            }
            else if (string.CompareOrdinal(path, at, "nsu=", 0, 4) == 0)
            {
                var semi = path.IndexOf(';', at + 4);
                if (semi < 0) throw new FormatException($"Browse path '{path}': 'nsu=' at position {at} needs a ';' after the namespace URI (nsu=<uri>;<name>).");
                uri = path[(at + 4)..semi].Trim();
                if (uri.Length == 0) throw new FormatException($"Browse path '{path}': empty namespace URI after 'nsu=' at position {at}.");
                at = semi + 1;
            }
            var slash = path.IndexOf('/', at);
            var end = slash < 0 ? path.Length : slash;
            var name = path[at..end].Trim();
            if (uri is null)
            {
                var colon = name.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && ushort.TryParse(name.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var ns))
                {
                    index = ns;
                    name = name[(colon + 1)..];
                }
            }
            if (name.Length == 0)
                throw new FormatException($"Browse path '{path}': element {elements.Count + 1} has a namespace but no browse name.");
            elements.Add(new BrowsePathElement(index, uri, name));
            at = end + 1;
        }
        if (elements.Count == 0) throw new FormatException($"Browse path '{path}' is empty.");
        return [.. elements];
    }

    /// <summary>Parses a path and qualifies each name: its own index, the index of its URI in the
    /// server's <paramref name="namespaces"/>, or <paramref name="defaultNamespace"/>.</summary>
    public static QualifiedName[] Parse(string path, ushort defaultNamespace, NamespaceTable? namespaces = null)
    {
        var elements = ParseElements(path);
        var names = new QualifiedName[elements.Length];
        for (var i = 0; i < elements.Length; i++)
        {
            var e = elements[i];
            var ns = e.NamespaceIndex
                ?? (e.NamespaceUri is { } uri
                    ? (namespaces ?? throw new InvalidOperationException("A namespace URI needs the server's NamespaceArray")).IndexOf(uri, $"Browse path '{path}'")
                    : defaultNamespace);
            names[i] = new QualifiedName(ns, e.Name);
        }
        return names;
    }

    /// <summary>True when some element of the path names its namespace by URI.</summary>
    public static bool UsesNamespaceUri(string path) => ParseElements(path).Any(e => e.NamespaceUri is not null);
}
