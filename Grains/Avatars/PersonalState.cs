using Imv.Grains.Interfaces.Avatars;
using Orleans;

namespace Imv.Grains.Avatars;

/// <summary>The persisted personal fields of an avatar, in a state of their own ("avatar-personal") so that erasing
/// them touches nothing that names the avatar's id.</summary>
[GenerateSerializer]
public sealed class PersonalState
{
    /// <summary>What the profile shows as the display name once the personal fields were erased.</summary>
    public const string ErasedName = "(erased)";

    /// <summary>The fields; null when none were given or they were erased.</summary>
    [Id(0)] public PersonalData? Data { get; set; }

    /// <summary>When the fields were erased (UTC); null unless erased since they were last given.</summary>
    [Id(1)] public DateTimeOffset? ErasedAt { get; set; }

    /// <summary>The display name: the person's name, <see cref="ErasedName"/> after erasure, empty before any name.</summary>
    public string DisplayName => Data?.Name ?? (ErasedAt is null ? "" : ErasedName);

    /// <summary>Sets the fields; throws <see cref="ArgumentException"/> naming every invalid one.</summary>
    public void Set(PersonalData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var problems = data.Problems();
        if (problems.Count > 0) throw new ArgumentException("Invalid personal data: " + string.Join("; ", problems) + ".", nameof(data));
        Data = data;
        ErasedAt = null;
    }

    /// <summary>Removes the fields and records when.</summary>
    public void Erase(DateTimeOffset now)
    {
        Data = null;
        ErasedAt = now;
    }

    /// <summary>The fields as a view for <paramref name="avatarId"/>.</summary>
    public PersonalDataView View(string avatarId) => new(avatarId, Data, ErasedAt);
}
