using Imv.Grains.Interfaces.Twins;
using Imv.Silo.Hosting;

namespace Imv.Silo.Api;

/// <summary>Resource limits at the edge (section <see cref="SectionName"/>): checked before anything is looked up
/// or stored, each refusal a 400 (413 for a body) naming the field and the limit.</summary>
public sealed class ApiLimits
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Api";

    /// <summary>The largest request body, in bytes (Kestrel's limit; 413 beyond). Default 1 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>The longest string in a tag value (a command's value or argument, a desired value). Default 4096.</summary>
    public int MaxStringLength { get; set; } = 4096;

    /// <summary>The most elements of an array value. Default 10,000.</summary>
    public int MaxArrayLength { get; set; } = 10_000;

    /// <summary>The most arguments of a method call, and the most desired values in one update. Default 64.</summary>
    public int MaxItems { get; set; } = 64;

    /// <summary>Binds and checks the section.</summary>
    public static ApiLimits Bind(IConfiguration configuration, ICollection<string> problems)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(problems);
        var limits = new ApiLimits();
        SectionBinder.Bind(configuration.GetSection(SectionName), limits, problems);
        if (limits.MaxRequestBodyBytes is < 1024 or > 1L << 30) problems.Add($"Api:MaxRequestBodyBytes = '{limits.MaxRequestBodyBytes}': must be between 1024 and 1073741824");
        if (limits.MaxStringLength is < 1 or > 1 << 24) problems.Add($"Api:MaxStringLength = '{limits.MaxStringLength}': must be between 1 and 16777216");
        if (limits.MaxArrayLength is < 1 or > 1 << 24) problems.Add($"Api:MaxArrayLength = '{limits.MaxArrayLength}': must be between 1 and 16777216");
        if (limits.MaxItems is < 1 or > 10_000) problems.Add($"Api:MaxItems = '{limits.MaxItems}': must be between 1 and 10000");
        return limits;
    }

    /// <summary>What is wrong with <paramref name="value"/> (too long a string, too many elements, a number that is
    /// not finite); null when it is within the limits.</summary>
    public string? Problem(TagValue value)
    {
        switch (value.DataType)
        {
            case TagDataType.String:
                var s = value.AsString();
                return s.Length > MaxStringLength ? $"is a string of {s.Length} characters (at most {MaxStringLength})" : null;
            case TagDataType.Double:
                return double.IsFinite(value.AsDouble()) ? null : "is not a finite number";
            case TagDataType.BooleanArray or TagDataType.IntegerArray or TagDataType.DoubleArray or TagDataType.StringArray:
                var array = value.AsArray();
                if (array.Length > MaxArrayLength) return $"is an array of {array.Length} elements (at most {MaxArrayLength})";
                if (array is double[] d && Array.Exists(d, x => !double.IsFinite(x))) return "holds a number that is not finite";
                if (array is string[] texts && Array.Find(texts, t => t.Length > MaxStringLength) is { } longText)
                    return $"holds a string of {longText.Length} characters (at most {MaxStringLength})";
                return null;
            default:
                return null;
        }
    }

    /// <summary>The 400 answer for the first value beyond the limits; null when all are within.</summary>
    public IResult? Check(string field, TagValue value) =>
        Problem(value) is { } problem ? ApiResults.BadRequest($"'{field}' {problem}.", new { field }) : null;
}
