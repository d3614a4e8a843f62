using System.Diagnostics.CodeAnalysis;

namespace Imv.Grains.Interfaces.Identity;

/// <summary>Parses and canonicalizes identifiers. Accepted text forms:
/// <list type="bullet">
/// <item><c>88.100.1/press-01</c>: prefix of dot-separated decimal segments, a slash, a suffix of printable
/// ASCII without spaces (at most 255 characters). Handles are case-insensitive: the canonical form is lower case.</item>
/// <item><c>did:method:specific-id</c>: W3C DID syntax; method is lower-case letters and digits; the specific
/// id is one or more colon-separated segments of letters, digits, <c>. - _</c> and %-escapes. Case is kept
/// (the method is lower-cased).</item>
/// <item><c>rfid:HEX</c>: an EPC in hex, 24 to 64 hex digits, an even count (canonical: upper case);
/// <c>urn:epc:id:scheme:value</c>: a pure-identity EPC URN (canonical: the <c>urn:epc:id:</c> prefix lower case).</item>
/// <item><c>emp:NUMBER</c>: letters, digits, <c>- _ .</c>, 1 to 64 characters (canonical: upper case).</item>
/// <item><c>node:ENDPOINT#NODEID</c> and <c>topic:ENDPOINT#TOPIC</c>: an endpoint without spaces or <c>#</c>,
/// and a non-empty node id or topic (kept as is).</item>
/// </list></summary>
public static class IdentifierParser
{
    private const int MaxLength = 1024;

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> naming the problem.</summary>
    public static PhysicalIdentifier Parse(string text)
    {
        if (TryParse(text, out var id, out var error)) return id;
        throw new FormatException(error);
    }

    /// <summary>Parses <paramref name="text"/>; false with a reason when it is not a valid identifier.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out PhysicalIdentifier? identifier, [NotNullWhen(false)] out string? error)
    {
        identifier = null;
        if (string.IsNullOrWhiteSpace(text)) { error = "An identifier cannot be empty."; return false; }
        if (text.Length > MaxLength) { error = $"An identifier is at most {MaxLength} characters."; return false; }
        text = text.Trim();
        if (StartsWith(text, "did:")) return TryDid(text, out identifier, out error);
        if (StartsWith(text, "urn:epc:id:")) return TryEpcUrn(text, out identifier, out error);
        if (StartsWith(text, "rfid:")) return TryEpcHex(text[5..], out identifier, out error);
        if (StartsWith(text, "emp:")) return TryEmployee(text[4..], out identifier, out error);
        if (StartsWith(text, "node:")) return TryGateway(IdentifierKind.GatewayNode, "node:", text[5..], out identifier, out error);
        if (StartsWith(text, "topic:")) return TryGateway(IdentifierKind.GatewayTopic, "topic:", text[6..], out identifier, out error);
        if (text.Length > 0 && char.IsAsciiDigit(text[0]) && text.Contains('/', StringComparison.Ordinal)) return TryHandle(text, out identifier, out error);
        error = $"'{Shorten(text)}' is not a known identifier form (prefix/suffix handle, did:, rfid:, urn:epc:id:, emp:, node:, topic:).";
        return false;
    }

    /// <summary>A node on a gateway endpoint.</summary>
    public static PhysicalIdentifier GatewayNode(string endpoint, string nodeId) => Parse("node:" + endpoint + "#" + nodeId);

    /// <summary>A topic on a gateway endpoint.</summary>
    public static PhysicalIdentifier GatewayTopic(string endpoint, string topic) => Parse("topic:" + endpoint + "#" + topic);

    private static bool StartsWith(string text, string prefix) => text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase);

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "...";

    private static bool TryHandle(string text, out PhysicalIdentifier? identifier, out string? error)
    {
        identifier = null;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var prefix = text[..slash];
        var suffix = text[(slash + 1)..];
        foreach (var segment in prefix.Split('.'))
        {
            if (segment.Length == 0 || !segment.All(char.IsAsciiDigit))
            {
                error = $"Handle prefix '{prefix}' must be dot-separated decimal segments (e.g. 88.100.1).";
                return false;
            }
        }
        if (suffix.Length == 0) { error = $"Handle '{Shorten(text)}' has an empty suffix."; return false; }
        if (suffix.Length > 255) { error = "A handle suffix is at most 255 characters."; return false; }
        if (!suffix.All(c => c > ' ' && c < 127))
        {
            error = $"Handle suffix '{Shorten(suffix)}' must be printable ASCII without spaces.";
            return false;
        }
        identifier = new PhysicalIdentifier(IdentifierKind.Handle, prefix + "/" + suffix.ToLowerInvariant());
        error = null;
        return true;
    }

    private static bool TryDid(string text, out PhysicalIdentifier? identifier, out string? error)
    {
        identifier = null;
        var parts = text.Split(':');
        if (parts.Length < 3) { error = $"DID '{Shorten(text)}' must be did:method:specific-id."; return false; }
        var method = parts[1].ToLowerInvariant();
        if (method.Length == 0 || !method.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)))
        {
            error = $"DID method '{parts[1]}' must be letters and digits.";
            return false;
        }
        for (var i = 2; i < parts.Length; i++)
        {
            var segment = parts[i];
            // Only the last segment must be non-empty (W3C: *( *idchar ":" ) 1*idchar).
            if (segment.Length == 0 && i == parts.Length - 1) { error = $"DID '{Shorten(text)}' ends with an empty segment."; return false; }
            for (var j = 0; j < segment.Length; j++)
            {
                var c = segment[j];
                if (char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_') continue;
                if (c == '%' && j + 2 < segment.Length && char.IsAsciiHexDigit(segment[j + 1]) && char.IsAsciiHexDigit(segment[j + 2])) { j += 2; continue; }
                error = $"DID '{Shorten(text)}' has an invalid character '{c}'.";
                return false;
            }
        }
        identifier = new PhysicalIdentifier(IdentifierKind.Did, "did:" + method + ":" + string.Join(':', parts, 2, parts.Length - 2));
        error = null;
        return true;
    }

    private static bool TryEpcHex(string hex, out PhysicalIdentifier? identifier, out string? error)
    {
        identifier = null;
        if (hex.Length < 24 || hex.Length > 64 || hex.Length % 2 != 0 || !hex.All(char.IsAsciiHexDigit))
        {
            error = $"EPC '{Shorten(hex)}' must be 24 to 64 hex digits, an even count.";
            return false;
        }
        identifier = new PhysicalIdentifier(IdentifierKind.RfidEpc, "rfid:" + hex.ToUpperInvariant());
        error = null;
        return true;
    }

    private static bool TryEpcUrn(string text, out PhysicalIdentifier? identifier, out string? error)
    {
        identifier = null;
        var rest = text["urn:epc:id:".Length..];
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == rest.Length - 1 || !rest[..colon].All(char.IsAsciiLetterOrDigit) || rest.Any(c => c <= ' ' || c >= 127))
        {
            error = $"EPC URN '{Shorten(text)}' must be urn:epc:id:scheme:value.";
            return false;
        }
        identifier = new PhysicalIdentifier(IdentifierKind.RfidEpc, "urn:epc:id:" + rest[..colon].ToLowerInvariant() + rest[colon..]);
        error = null;
        return true;
    }

    private static bool TryEmployee(string number, out PhysicalIdentifier? identifier, out string? error)
    {
        identifier = null;
        if (number.Length is 0 or > 64 || !number.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            error = $"Employee number '{Shorten(number)}' must be 1 to 64 letters, digits, '-', '_' or '.'.";
            return false;
        }
        identifier = new PhysicalIdentifier(IdentifierKind.EmployeeNumber, "emp:" + number.ToUpperInvariant());
        error = null;
        return true;
    }

    private static bool TryGateway(IdentifierKind kind, string prefix, string rest, out PhysicalIdentifier? identifier, out string? error)
    {
        identifier = null;
        var hash = rest.IndexOf('#', StringComparison.Ordinal);
        if (hash <= 0 || hash == rest.Length - 1)
        {
            error = $"'{Shorten(prefix + rest)}' must be {prefix}ENDPOINT#{(kind == IdentifierKind.GatewayNode ? "NODEID" : "TOPIC")} with both parts non-empty.";
            return false;
        }
        var endpoint = rest[..hash];
        if (endpoint.Any(char.IsWhiteSpace)) { error = $"Gateway endpoint '{Shorten(endpoint)}' contains whitespace."; return false; }
        identifier = new PhysicalIdentifier(kind, prefix + endpoint + rest[hash..]);
        error = null;
        return true;
    }

    /// <summary>A stable (process- and platform-independent) 32-bit FNV-1a hash of the canonical text,
    /// used to pick the registry shard.</summary>
    public static uint StableHash(string canonical)
    {
        ArgumentNullException.ThrowIfNull(canonical);
        var hash = 2166136261u;
        foreach (var c in canonical)
        {
            hash = (hash ^ (byte)c) * 16777619u;
            hash = (hash ^ (byte)(c >> 8)) * 16777619u;
        }
        return hash;
    }
}
