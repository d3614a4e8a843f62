using Imv.Grains.Interfaces.Avatars;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.Avatars;

/// <summary>The persisted state of an avatar, with its rules (testable without a runtime).</summary>
[GenerateSerializer]
public sealed class AvatarState
{
    /// <summary>The most sessions an avatar holds at once.</summary>
    public const int MaxSessions = 16;

    /// <summary>The registration; null when not registered. Its display name is kept empty here: the name is a
    /// personal field, stored in <see cref="PersonalState"/>.</summary>
    [Id(0)] public AvatarRegistration? Registration { get; set; }

    /// <summary>Whether the avatar may act.</summary>
    [Id(1)] public bool Active { get; set; }

    /// <summary>Open sessions.</summary>
    [Id(2)] public List<DeviceSession> Sessions { get; set; } = [];

    /// <summary>Avatars this one supervises.</summary>
    [Id(3)] public List<string> Supervised { get; set; } = [];

    /// <summary>Avatars supervising this one.</summary>
    [Id(4)] public List<string> Supervisors { get; set; } = [];

    /// <summary>The current site mode (starts as registered).</summary>
    [Id(5)] public SiteMode SiteMode { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> for an inconsistent registration.</summary>
    public static void Validate(AvatarRegistration r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (string.IsNullOrWhiteSpace(r.DisplayName)) throw new ArgumentException("An avatar needs a display name.", nameof(r));
        if (r.Kind == AvatarKind.User && r.Driver != DigitalHumanDriver.None) throw new ArgumentException("A user has no driver; only digital humans do.", nameof(r));
        if (r.Kind == AvatarKind.DigitalHuman && r.Driver == DigitalHumanDriver.None) throw new ArgumentException("A digital human is HumanDriven or IntelligentDriven.", nameof(r));
        if (r.Driver == DigitalHumanDriver.HumanDriven && string.IsNullOrEmpty(r.DrivenBy)) throw new ArgumentException("A HumanDriven digital human names the person driving it (DrivenBy).", nameof(r));
        if (r.Driver != DigitalHumanDriver.HumanDriven && r.DrivenBy is not null) throw new ArgumentException("Only a HumanDriven digital human has DrivenBy.", nameof(r));
    }

    /// <summary>Whether an avatar of role <paramref name="supervisor"/> may supervise one of role
    /// <paramref name="supervised"/>: supervisors supervise workers; managers supervise supervisors and workers.</summary>
    public static bool CanSupervise(AvatarRole supervisor, AvatarRole supervised) => supervisor switch
    {
        AvatarRole.Supervisor => supervised == AvatarRole.Worker,
        AvatarRole.Manager => supervised is AvatarRole.Worker or AvatarRole.Supervisor,
        _ => false,
    };

    /// <summary>The profile, showing <paramref name="displayName"/> (kept with the personal fields, not here);
    /// null when not registered.</summary>
    public AvatarProfile? Profile(string avatarId, string displayName)
    {
        var r = Registration;
        return r is null ? null : new AvatarProfile(avatarId, displayName, r.Kind, r.Role, r.Driver, r.DrivenBy, SiteMode,
            r.Scopes ?? [], Active, [.. Supervisors]);
    }

    /// <summary>Opens a session (or returns the open one of the same device).</summary>
    public DeviceSession OpenSession(InteractiveDevice device, string deviceId, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        if (Registration is null) throw new InvalidOperationException("The avatar is not registered.");
        if (!Active) throw new InvalidOperationException("The avatar is inactive.");
        var open = Sessions.Find(s => s.Device == device && s.DeviceId == deviceId);
        if (open is not null) return open;
        if (Sessions.Count >= MaxSessions) throw new InvalidOperationException($"An avatar holds at most {MaxSessions} sessions.");
        var session = new DeviceSession(Guid.NewGuid().ToString("N"), device, deviceId, now);
        Sessions.Add(session);
        return session;
    }

    /// <summary>Closes a session; false when unknown.</summary>
    public bool CloseSession(string sessionId) => Sessions.RemoveAll(s => s.SessionId == sessionId) > 0;
}
