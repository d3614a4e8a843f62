namespace Imv.Runtime;

/// <summary>Key accessors for grains and references, as in Orleans.</summary>
public static class GrainExtensions
{
    /// <summary>The grain's string key.</summary>
    public static string GetPrimaryKeyString(this Grain grain) => grain.GrainId.Key;

    /// <summary>The grain's Guid key.</summary>
    public static Guid GetPrimaryKey(this Grain grain) => ParseGuid(grain.GrainId);

    /// <summary>The grain's integer key.</summary>
    public static long GetPrimaryKeyLong(this Grain grain) => ParseLong(grain.GrainId);

    /// <summary>The referenced grain's id.</summary>
    public static GrainId GetGrainId(this IAddressable reference) =>
        reference is GrainReference r ? r.GrainId : throw new ArgumentException($"{reference.GetType().FullName} is not a grain reference.", nameof(reference));

    /// <summary>The referenced grain's string key.</summary>
    public static string GetPrimaryKeyString(this IAddressable reference) => reference.GetGrainId().Key;

    /// <summary>The referenced grain's Guid key.</summary>
    public static Guid GetPrimaryKey(this IAddressable reference) => ParseGuid(reference.GetGrainId());

    /// <summary>The referenced grain's integer key.</summary>
    public static long GetPrimaryKeyLong(this IAddressable reference) => ParseLong(reference.GetGrainId());

    private static Guid ParseGuid(GrainId id) => Guid.TryParseExact(id.Key, "N", out var g)
        ? g : throw new InvalidOperationException($"Grain {id} has no Guid key.");

    private static long ParseLong(GrainId id) => long.TryParse(id.Key, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var l)
        ? l : throw new InvalidOperationException($"Grain {id} has no integer key.");
}
