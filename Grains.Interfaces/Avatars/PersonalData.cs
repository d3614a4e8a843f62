using Orleans;

namespace Imv.Grains.Interfaces.Avatars;

/// <summary>An avatar's personal fields. They are kept apart from the avatar's id and role (in a state of their
/// own), so they can be erased while the ledger, the audit log and command records, which name only the id, stay
/// whole.</summary>
/// <param name="Name">The person's name, shown as the avatar's display name.</param>
/// <param name="EmployeeNumber">The employee number; null when not given.</param>
/// <param name="Contact">How to reach the person (e-mail, phone); null when not given.</param>
[GenerateSerializer]
public sealed record PersonalData(
    [property: Id(0)] string Name,
    [property: Id(1)] string? EmployeeNumber = null,
    [property: Id(2)] string? Contact = null)
{
    /// <summary>The longest name.</summary>
    public const int MaxNameLength = 200;

    /// <summary>The longest employee number.</summary>
    public const int MaxEmployeeNumberLength = 64;

    /// <summary>The longest contact.</summary>
    public const int MaxContactLength = 320;

    /// <summary>Every problem of these fields, each naming the field and its rule; empty when valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Name)) problems.Add("'name' is required");
        else if (Name.Length > MaxNameLength) problems.Add($"'name' is at most {MaxNameLength} characters (was {Name.Length})");
        if (EmployeeNumber is { Length: > MaxEmployeeNumberLength }) problems.Add($"'employeeNumber' is at most {MaxEmployeeNumberLength} characters (was {EmployeeNumber.Length})");
        if (Contact is { Length: > MaxContactLength }) problems.Add($"'contact' is at most {MaxContactLength} characters (was {Contact.Length})");
        return problems;
    }
}

/// <summary>An avatar's personal fields as stored: the fields, or when they were erased.</summary>
/// <param name="AvatarId">The avatar.</param>
/// <param name="Data">The fields; null when none were given or they were erased.</param>
/// <param name="ErasedAt">When they were erased (UTC); null when never erased since last given.</param>
[GenerateSerializer]
public sealed record PersonalDataView(
    [property: Id(0)] string AvatarId,
    [property: Id(1)] PersonalData? Data,
    [property: Id(2)] DateTimeOffset? ErasedAt);
