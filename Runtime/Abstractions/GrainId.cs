using System.Runtime.CompilerServices;

namespace Imv.Runtime;

/// <summary>The identity of a grain: its grain type name and its key, both strings. Guid keys are kept
/// as 32 hex digits ("N" format), integer keys in decimal.</summary>
/// <param name="Type">The grain type name (see <see cref="GrainTypeAttribute"/>).</param>
/// <param name="Key">The primary key as a string.</param>
public readonly record struct GrainId(string Type, string Key)
{
    /// <summary>A hash that is the same in every process (unlike <see cref="string.GetHashCode()"/>): it
    /// places the grain in a partition, so every silo must agree on it.</summary>
    public uint StableHash()
    {
        uint hash = 2166136261;
        hash = Fnv(hash, Type);
        hash = (hash ^ '/') * 16777619;
        return Fnv(hash, Key);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Fnv(uint hash, string s)
    {
        foreach (char c in s) hash = (hash ^ c) * 16777619;
        return hash;
    }

    /// <inheritdoc />
    public override string ToString() => Type + "/" + Key;
}
