using Orleans;

namespace Imv.Grains.Interfaces.Avatars;

/// <summary>What an avatar stands for.</summary>
public enum AvatarKind : byte
{
    /// <summary>A person: a user of the grid.</summary>
    User = 0,
    /// <summary>A digital human, driven by a person or by an AI (see <see cref="DigitalHumanDriver"/>).</summary>
    DigitalHuman = 1,
}

/// <summary>The role of an avatar in the plant.</summary>
public enum AvatarRole : byte
{
    /// <summary>Operates machines.</summary>
    Worker = 0,
    /// <summary>Supervises workers and operates machines.</summary>
    Supervisor = 1,
    /// <summary>Manages; supervises supervisors and workers; organizations and reports in scope.</summary>
    Manager = 2,
    /// <summary>Configures twins, control loops and alarm bands in scope; issues no commands.</summary>
    Engineer = 3,
    /// <summary>Reads everything, including the ledger and the audit log; changes nothing.</summary>
    Regulator = 4,
    /// <summary>A supplier's guest: reads only the twins and assets shared with it (its scopes).</summary>
    SupplierGuest = 5,
    /// <summary>Administers the grid: avatars, API keys, identities; every right everywhere.</summary>
    Administrator = 6,
}

/// <summary>Who drives a digital human.</summary>
public enum DigitalHumanDriver : byte
{
    /// <summary>Not a digital human.</summary>
    None = 0,
    /// <summary>A person drives it (its <see cref="AvatarProfile.DrivenBy"/> names the person's avatar).</summary>
    HumanDriven = 1,
    /// <summary>An AI drives it.</summary>
    IntelligentDriven = 2,
}

/// <summary>Where the person behind an avatar is.</summary>
public enum SiteMode : byte
{
    /// <summary>On the shop floor.</summary>
    OnSite = 0,
    /// <summary>Away from the site.</summary>
    Remote = 1,
}

/// <summary>An interactive device an avatar's session runs on.</summary>
public enum InteractiveDevice : byte
{
    /// <summary>A head-mounted display.</summary>
    Hmd = 0,
    /// <summary>Smart glasses.</summary>
    SmartGlasses = 1,
    /// <summary>An augmented-reality device (tablet, phone).</summary>
    Ar = 2,
    /// <summary>A virtual-reality device.</summary>
    Vr = 3,
    /// <summary>A haptic device (glove, suit).</summary>
    Haptic = 4,
}

/// <summary>How an avatar is registered.</summary>
/// <param name="DisplayName">The name shown.</param>
/// <param name="Kind">User or digital human.</param>
/// <param name="Role">Worker, supervisor or manager.</param>
/// <param name="Driver">Who drives a digital human; <see cref="DigitalHumanDriver.None"/> for users.</param>
/// <param name="DrivenBy">The avatar id of the person driving a HumanDriven digital human; null otherwise.</param>
/// <param name="SiteMode">On site or remote.</param>
/// <param name="Scopes">Twin ids and organization ids the avatar may command; an organization covers every twin in it or in any organization below it.</param>
[GenerateSerializer]
public sealed record AvatarRegistration(
    [property: Id(0)] string DisplayName,
    [property: Id(1)] AvatarKind Kind,
    [property: Id(2)] AvatarRole Role,
    [property: Id(3)] DigitalHumanDriver Driver = DigitalHumanDriver.None,
    [property: Id(4)] string? DrivenBy = null,
    [property: Id(5)] SiteMode SiteMode = SiteMode.OnSite,
    [property: Id(6)] IReadOnlyList<string>? Scopes = null);

/// <summary>An avatar as others see it.</summary>
/// <param name="AvatarId">The avatar's id (grain key).</param>
/// <param name="DisplayName">The name shown.</param>
/// <param name="Kind">User or digital human.</param>
/// <param name="Role">Worker, supervisor or manager.</param>
/// <param name="Driver">Who drives a digital human.</param>
/// <param name="DrivenBy">The person driving a HumanDriven digital human.</param>
/// <param name="SiteMode">On site or remote.</param>
/// <param name="Scopes">Twin ids and organization ids the avatar may command; an organization covers every twin in it or in any organization below it.</param>
/// <param name="Active">False once deactivated: it may no longer command.</param>
/// <param name="SupervisorIds">The avatars supervising this one.</param>
[GenerateSerializer]
public sealed record AvatarProfile(
    [property: Id(0)] string AvatarId,
    [property: Id(1)] string DisplayName,
    [property: Id(2)] AvatarKind Kind,
    [property: Id(3)] AvatarRole Role,
    [property: Id(4)] DigitalHumanDriver Driver,
    [property: Id(5)] string? DrivenBy,
    [property: Id(6)] SiteMode SiteMode,
    [property: Id(7)] IReadOnlyList<string> Scopes,
    [property: Id(8)] bool Active,
    [property: Id(9)] IReadOnlyList<string> SupervisorIds);

/// <summary>A session of an avatar on an interactive device, bound to the avatar.</summary>
/// <param name="SessionId">The session's id.</param>
/// <param name="Device">The kind of device.</param>
/// <param name="DeviceId">The device's own id (serial number, pairing id).</param>
/// <param name="OpenedAt">When it was opened (UTC).</param>
[GenerateSerializer]
public sealed record DeviceSession(
    [property: Id(0)] string SessionId,
    [property: Id(1)] InteractiveDevice Device,
    [property: Id(2)] string DeviceId,
    [property: Id(3)] DateTimeOffset OpenedAt);

/// <summary>What a supervisor sees of an avatar it supervises.</summary>
/// <param name="Profile">The avatar's profile.</param>
/// <param name="Sessions">Its open sessions.</param>
[GenerateSerializer]
public sealed record AvatarView(
    [property: Id(0)] AvatarProfile Profile,
    [property: Id(1)] IReadOnlyList<DeviceSession> Sessions);
