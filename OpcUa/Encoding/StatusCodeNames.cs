using System.Collections.Frozen;
using System.Globalization;

namespace Imv.Gateways.OpcUa.Encoding;

internal static partial class StatusCodeNames
{
    private static readonly FrozenDictionary<uint, string> ByCode =
        CreateTable().ToFrozenDictionary(e => e.Code, e => e.Name);

    private static readonly FrozenDictionary<string, uint> ByName =
        CreateTable().ToFrozenDictionary(e => e.Name, e => e.Code, StringComparer.Ordinal);

    /// <summary>The symbolic name of a code; the low 16 info bits are ignored, as the spec says they
    /// do not change the meaning. Unknown codes show as hex so they can still be looked up.</summary>
    public static string GetName(uint code) =>
        ByCode.TryGetValue(code & 0xFFFF0000, out var name)
            ? name
            : "0x" + code.ToString("X8", CultureInfo.InvariantCulture);

    /// <summary>The code for a symbolic name.</summary>
    public static bool TryGetCode(string name, out uint code) => ByName.TryGetValue(name, out code);
}
