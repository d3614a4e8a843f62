namespace Imv.Runtime;

/// <summary>Key accessors for grains and references, as in Orleans (both are IAddressable).</summary>
public static class GrainExtensions
{
    /// <summary>A reference to this grain, to pass to other grains.</summary>
    public static TGrainInterface AsReference<TGrainInterface>(this Grain grain) where TGrainInterface : IAddressable
    {
        var runtime = grain.GrainContext.GrainFactory as IGrainReferenceRuntime
            ?? throw new InvalidOperationException("The grain's factory cannot create references.");
        return (TGrainInterface)(object)GrainTypeRegistry.GetInterface(typeof(TGrainInterface)).ProxyFactory(runtime, grain.GrainId);
    }

    /// <summary>The id of a grain reference, or of a grain object itself.</summary>
    public static GrainId GetGrainId(this IAddressable reference) => reference switch
    {
        GrainReference r => r.GrainId,
        Grain g => g.GrainId,
        _ => throw new ArgumentException($"{reference.GetType().FullName} is neither a grain reference nor a grain.", nameof(reference)),
    };

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
