namespace Imv.Silo.Api;

/// <summary>The one rule every id given to the API follows (twins, avatars, organizations, loops, assets, wallets,
/// commands, keys, sessions, members): 1 to <see cref="MaxLength"/> characters, none of them a control character,
/// white space, '/', '\', '?', '#' or '%', and not "." or "..". An id that breaks it is refused with 400 naming the
/// field or parameter, before anything is looked up or stored. Identifiers of <c>/api/identities</c> (handles,
/// DIDs, EPCs) have their own syntax.</summary>
public static class IdRule
{
    /// <summary>The longest id.</summary>
    public const int MaxLength = 200;

    /// <summary>The rule in words.</summary>
    public const string Description = "1 to 200 characters without control characters, white space, '/', '\\', '?', '#' or '%', and not '.' or '..'";

    /// <summary>What is wrong with <paramref name="id"/>; null when it follows the rule.</summary>
    public static string? Problem(string? id)
    {
        if (string.IsNullOrEmpty(id)) return "is empty";
        if (id.Length > MaxLength) return $"is {id.Length} characters long (at most {MaxLength})";
        if (id is "." or "..") return $"may not be '{id}'";
        foreach (var c in id)
        {
            if (char.IsControl(c)) return $"contains the control character U+{(int)c:X4}";
            if (char.IsWhiteSpace(c)) return "contains white space";
            if (c is '/' or '\\' or '?' or '#' or '%') return $"contains '{c}'";
        }
        return null;
    }

    /// <summary>The 400 answer for the first body field breaking the rule; null when all follow it (null values are
    /// skipped: required fields are checked where they are read).</summary>
    public static IResult? CheckFields(params (string Field, string? Value)[] fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        foreach (var (field, value) in fields)
            if (value is not null && Problem(value) is { } problem)
                return ApiResults.BadRequest($"'{field}' {problem}: an id is {Description}.", new { field, rule = Description });
        return null;
    }

    /// <summary>The 400 answer for a route parameter breaking the rule; null when it follows it.</summary>
    public static IResult? CheckParameter(string parameter, string? value) =>
        Problem(value) is { } problem
            ? ApiResults.BadRequest($"Parameter '{parameter}' {problem}: an id is {Description}.", new { parameter, rule = Description })
            : null;
}
