using System.Text;

namespace Imv.Persistence.Recording;

/// <summary>The tag names met while decoding a recording, one string each: a plant's entries repeat the same few
/// hundred names millions of times, and a string per reading was a large part of a replay's reading cost. Bounded
/// (<see cref="MaxNames"/>): past it, names are decoded without being kept. Thread-safe (a replay decodes on many threads).</summary>
internal sealed class TagNames
{
    /// <summary>Names kept at most.</summary>
    public const int MaxNames = 65_536;

    private const int StackLimit = 256;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _names = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public TagNames() => _lookup = _names.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The name whose UTF-8 bytes are <paramref name="utf8"/>.</summary>
    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > StackLimit) return Encoding.UTF8.GetString(utf8);
        Span<char> chars = stackalloc char[StackLimit];
        int n = Encoding.UTF8.GetChars(utf8, chars);
        var name = chars[..n];
        if (_lookup.TryGetValue(name, out var known)) return known;
        var s = new string(name);
        // (Count takes every lock of the dictionary: the bound is checked on a miss only, rare once the names are known.)
        return _names.Count < MaxNames ? _names.GetOrAdd(s, s) : s;
    }
}
