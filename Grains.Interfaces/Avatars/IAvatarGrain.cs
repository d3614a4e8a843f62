using Imv.Grains.Interfaces.Access;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;
using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.Avatars;

/// <summary>An avatar: a user (worker, supervisor, manager) or a digital human, keyed by avatar id. It
/// holds sessions on interactive devices, supervision edges, and issues commands to twins as itself.</summary>
public interface IAvatarGrain : IGrainWithStringKey
{
    /// <summary>Registers the avatar, or updates its registration. Throws <see cref="ArgumentException"/> for an
    /// inconsistent registration (a digital human without a driver, a user with one, a HumanDriven one without DrivenBy).</summary>
    [SiloOnly]
    Task<AvatarProfile> RegisterAsync(AvatarRegistration registration);

    /// <summary>The avatar's profile; null when not registered. Interleaves with every call, so a twin can
    /// check an issuer while the issuer waits for that twin.</summary>
    [ClientRight(Right.Read)]
    [AlwaysInterleave]
    Task<AvatarProfile?> GetProfileAsync();

    /// <summary>The avatar's personal fields, or when they were erased; null when the avatar is not registered.</summary>
    [ClientRight(Right.PersonalData, TargetKind.Self)]
    [ReadOnly]
    Task<PersonalDataView?> GetPersonalDataAsync();

    /// <summary>Replaces the avatar's personal fields (the name is also its display name). Throws
    /// <see cref="ArgumentException"/> naming every invalid field, <see cref="InvalidOperationException"/> when the
    /// avatar is not registered.</summary>
    [SiloOnly]
    Task<PersonalDataView> SetPersonalDataAsync(PersonalData data);

    /// <summary>Erases the avatar's personal fields: name, employee number and contact are removed from storage, the
    /// display name becomes <c>(erased)</c>; the id, role, scopes and everything that names the id (commands,
    /// ledger, audit) stay. Throws <see cref="InvalidOperationException"/> when the avatar is not registered.</summary>
    [SiloOnly]
    Task<PersonalDataView> ErasePersonalDataAsync();

    /// <summary>Changes where the person is.</summary>
    [SiloOnly]
    Task SetSiteModeAsync(SiteMode mode);

    /// <summary>Activates or deactivates the avatar; an inactive avatar may not command and its sessions close.</summary>
    [SiloOnly]
    Task SetActiveAsync(bool active);

    /// <summary>Opens a session on a device, bound to this avatar. A device has at most one session: opening it
    /// again returns the open one.</summary>
    [ClientRight(Right.Sessions, TargetKind.Self)]
    Task<DeviceSession> OpenSessionAsync(InteractiveDevice device, string deviceId);

    /// <summary>Closes a session; false when unknown.</summary>
    [ClientRight(Right.Sessions, TargetKind.Self)]
    Task<bool> CloseSessionAsync(string sessionId);

    /// <summary>The open sessions.</summary>
    [ClientRight(Right.Read)]
    [ReadOnly]
    Task<IReadOnlyList<DeviceSession>> GetSessionsAsync();

    /// <summary>Makes this avatar (a supervisor or manager) supervise another registered avatar. Throws
    /// <see cref="InvalidOperationException"/> when this avatar may not supervise it.</summary>
    [SiloOnly]
    Task SuperviseAsync(string avatarId);

    /// <summary>Stops supervising an avatar; false when it was not supervised.</summary>
    [SiloOnly]
    Task<bool> StopSupervisingAsync(string avatarId);

    /// <summary>The avatars this one supervises, with their profiles and sessions.</summary>
    [ClientRight(Right.Read)]
    Task<IReadOnlyList<AvatarView>> GetSupervisedAsync();

    /// <summary>Records, on the supervised side, that a supervisor added or removed this avatar.</summary>
    [SiloOnly]
    Task SetSupervisorAsync(string supervisorId, bool supervises);

    /// <summary>Issues a command to a twin as this avatar (issuer kind Avatar, issuer this avatar's id).</summary>
    /// <param name="twinId">The target twin.</param>
    /// <param name="commandId">Unique command id (idempotency key).</param>
    /// <param name="tag">The tag to write, or null for a method call.</param>
    /// <param name="method">The method to call, or null for a tag write.</param>
    /// <param name="value">The value to write.</param>
    /// <param name="arguments">The method's input arguments; null for a tag write.</param>
    /// <param name="lifetime">How long it may take; null for the twin's default.</param>
    [SiloOnly]
    Task<CommandRecord> IssueCommandAsync(string twinId, string commandId, string? tag, string? method, TagValue value, IReadOnlyList<TagValue>? arguments, TimeSpan? lifetime);

    /// <summary>Asks the twin for write control as this avatar.</summary>
    [SiloOnly]
    Task<LeaseResult> AcquireLeaseAsync(string twinId, TimeSpan duration);

    /// <summary>Gives write control of the twin back.</summary>
    [SiloOnly]
    Task<bool> ReleaseLeaseAsync(string twinId);
}
