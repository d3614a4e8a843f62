using Imv.Grains.Interfaces.Avatars;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Grains.Avatars;

/// <summary>An avatar: registration, sessions on interactive devices, supervision edges, and commands to
/// twins under its own identity.</summary>
public sealed class AvatarGrain : Grain, IAvatarGrain
{
    private readonly IPersistentState<AvatarState> _state;
    private readonly IPersistentState<PersonalState> _personal;
    private readonly TimeProvider _time;
    private readonly ILogger _log;

    /// <summary>Creates the grain (the runtime does).</summary>
    public AvatarGrain([PersistentState("avatar")] IPersistentState<AvatarState> state,
        [PersistentState("avatar-personal")] IPersistentState<PersonalState> personal, TimeProvider? time, ILogger<AvatarGrain>? logger)
    {
        _state = state;
        _personal = personal;
        _time = time ?? TimeProvider.System;
        _log = (ILogger?)logger ?? NullLogger.Instance;
    }

    private AvatarState S => _state.State;
    private PersonalState P => _personal.State;
    private string AvatarId => this.GetPrimaryKeyString();

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // An avatar stored by an earlier version keeps its name in the registration: move it to the personal state
        // (written first, so a crash in between loses nothing and the move is simply repeated).
        if (S.Registration is { DisplayName.Length: > 0 } legacy)
        {
            if (P.Data is null && P.ErasedAt is null)
            {
                P.Data = new PersonalData(legacy.DisplayName);
                await _personal.WriteStateAsync(cancellationToken);
            }
            S.Registration = legacy with { DisplayName = "" };
            await _state.WriteStateAsync(cancellationToken);
            _log.LogInformation("Avatar {AvatarId}: name moved to its personal state", AvatarId);
        }
    }

    /// <inheritdoc />
    public async Task<AvatarProfile> RegisterAsync(AvatarRegistration registration)
    {
        AvatarState.Validate(registration);
        bool first = S.Registration is null;
        // Erasure sticks: updating a registration (the plant layout does at every start) does not bring an erased
        // name back; SetPersonalDataAsync gives a new one.
        bool erased = !first && P.ErasedAt is not null;
        if (!erased && P.Data?.Name != registration.DisplayName)
        {
            P.Set(P.Data is { } known ? known with { Name = registration.DisplayName } : new PersonalData(registration.DisplayName));
            await _personal.WriteStateAsync();
        }
        S.Registration = registration with { DisplayName = "" };
        if (first) { S.Active = true; S.SiteMode = registration.SiteMode; }
        await _state.WriteStateAsync();
        _log.LogInformation("Avatar {AvatarId} registered: {Kind} {Role} {Driver}", AvatarId, registration.Kind, registration.Role, registration.Driver);
        return Profile()!;
    }

    /// <inheritdoc />
    public Task<AvatarProfile?> GetProfileAsync()
    {
        var profile = Profile();
        // A lookup of an unknown avatar leaves no activation behind.
        if (profile is null && S.Supervisors.Count == 0) DeactivateOnIdle();
        return Task.FromResult(profile);
    }

    /// <inheritdoc />
    public Task<PersonalDataView?> GetPersonalDataAsync() =>
        Task.FromResult(S.Registration is null ? null : P.View(AvatarId));

    /// <inheritdoc />
    public async Task<PersonalDataView> SetPersonalDataAsync(PersonalData data)
    {
        RequireRegistered();
        P.Set(data);
        await _personal.WriteStateAsync();
        _log.LogInformation("Avatar {AvatarId}: personal data set", AvatarId);
        return P.View(AvatarId);
    }

    /// <inheritdoc />
    public async Task<PersonalDataView> ErasePersonalDataAsync()
    {
        RequireRegistered();
        P.Erase(_time.GetUtcNow());
        await _personal.WriteStateAsync();
        _log.LogInformation("Avatar {AvatarId}: personal data erased", AvatarId);
        return P.View(AvatarId);
    }

    private AvatarProfile? Profile() => S.Profile(AvatarId, P.DisplayName);

    /// <inheritdoc />
    public async Task SetSiteModeAsync(SiteMode mode)
    {
        RequireRegistered();
        S.SiteMode = mode;
        await _state.WriteStateAsync();
    }

    /// <inheritdoc />
    public async Task SetActiveAsync(bool active)
    {
        RequireRegistered();
        S.Active = active;
        if (!active) S.Sessions.Clear();
        await _state.WriteStateAsync();
        _log.LogInformation("Avatar {AvatarId} active: {Active}", AvatarId, active);
    }

    /// <inheritdoc />
    public async Task<DeviceSession> OpenSessionAsync(InteractiveDevice device, string deviceId)
    {
        int before = S.Sessions.Count;
        var session = S.OpenSession(device, deviceId, _time.GetUtcNow());
        if (S.Sessions.Count != before)
        {
            await _state.WriteStateAsync();
            _log.LogInformation("Avatar {AvatarId} opened session {SessionId} on {Device} {DeviceId}", AvatarId, session.SessionId, device, deviceId);
        }
        return session;
    }

    /// <inheritdoc />
    public async Task<bool> CloseSessionAsync(string sessionId)
    {
        if (!S.CloseSession(sessionId)) return false;
        await _state.WriteStateAsync();
        return true;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<DeviceSession>> GetSessionsAsync() => Task.FromResult<IReadOnlyList<DeviceSession>>([.. S.Sessions]);

    /// <inheritdoc />
    public async Task SuperviseAsync(string avatarId)
    {
        ArgumentException.ThrowIfNullOrEmpty(avatarId);
        var me = RequireRegistered();
        if (avatarId == AvatarId) throw new InvalidOperationException("An avatar does not supervise itself.");
        var other = GrainFactory.GetGrain<IAvatarGrain>(avatarId);
        var profile = await other.GetProfileAsync() ?? throw new InvalidOperationException($"Avatar '{avatarId}' is not registered.");
        if (!AvatarState.CanSupervise(me.Role, profile.Role))
            throw new InvalidOperationException($"A {me.Role} may not supervise a {profile.Role}.");
        if (!S.Supervised.Contains(avatarId))
        {
            S.Supervised.Add(avatarId);
            await _state.WriteStateAsync();
        }
        await other.SetSupervisorAsync(AvatarId, true);
    }

    /// <inheritdoc />
    public async Task<bool> StopSupervisingAsync(string avatarId)
    {
        if (!S.Supervised.Remove(avatarId)) return false;
        await _state.WriteStateAsync();
        await GrainFactory.GetGrain<IAvatarGrain>(avatarId).SetSupervisorAsync(AvatarId, false);
        return true;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AvatarView>> GetSupervisedAsync()
    {
        var views = new List<AvatarView>(S.Supervised.Count);
        foreach (var id in S.Supervised)
        {
            var other = GrainFactory.GetGrain<IAvatarGrain>(id);
            if (await other.GetProfileAsync() is not { } profile) continue;
            views.Add(new AvatarView(profile, await other.GetSessionsAsync()));
        }
        return views;
    }

    /// <inheritdoc />
    public async Task SetSupervisorAsync(string supervisorId, bool supervises)
    {
        bool changed = supervises
            ? !S.Supervisors.Contains(supervisorId) && Add(S.Supervisors, supervisorId)
            : S.Supervisors.Remove(supervisorId);
        if (changed) await _state.WriteStateAsync();
    }

    /// <inheritdoc />
    public Task<CommandRecord> IssueCommandAsync(string twinId, string commandId, string? tag, string? method, TagValue value, IReadOnlyList<TagValue>? arguments, TimeSpan? lifetime)
    {
        ArgumentException.ThrowIfNullOrEmpty(twinId);
        // The twin checks that this avatar exists, is active and may command it: the avatar does not vouch for itself.
        return GrainFactory.GetGrain<IMachineGrain>(twinId)
            .SubmitCommandAsync(new CommandRequest(commandId, IssuerKind.Avatar, AvatarId, tag, method, value, arguments, lifetime));
    }

    /// <inheritdoc />
    public Task<LeaseResult> AcquireLeaseAsync(string twinId, TimeSpan duration) =>
        GrainFactory.GetGrain<IMachineGrain>(twinId).AcquireLeaseAsync(AvatarId, duration);

    /// <inheritdoc />
    public Task<bool> ReleaseLeaseAsync(string twinId) =>
        GrainFactory.GetGrain<IMachineGrain>(twinId).ReleaseLeaseAsync(AvatarId);

    private AvatarRegistration RequireRegistered() =>
        S.Registration ?? throw new InvalidOperationException($"Avatar '{AvatarId}' is not registered.");

    private static bool Add(List<string> list, string item)
    {
        list.Add(item);
        return true;
    }
}
