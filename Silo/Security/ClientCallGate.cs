using System.Collections.Concurrent;
using Imv.Grains.Interfaces.Assets;
using Imv.Grains.Interfaces.Avatars;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Replay;
using Imv.Silo.Audit;

namespace Imv.Silo.Security;

/// <summary>The Orleans gateway's gate (Orleans' <see cref="IIncomingGrainCallFilter"/>): every grain call that comes
/// from an Orleans client (the SDK, <c>imv</c>) must carry an API key (<see cref="ClientCredentials.ApiKeyEntry"/>) the
/// grid knows (<see cref="ApiKeyStore"/>, the HTTP API's own), of a registered, active avatar, whose role holds the
/// method's declared right (<see cref="ClientMethodRules"/>) on its target, decided by <see cref="AccessControl"/> as
/// for HTTP. Otherwise the call is refused with <see cref="ImvAccessDeniedException"/> before the grain runs. A
/// command's issuer is the caller. Calls that change the grid are written to the <see cref="AuditLog"/>, as are
/// refusals. Calls between grains and from the silos' own code (Orleans' hosted client) are not checked.</summary>
/// <remarks>A call is a client's when its sending grain is a client id other than a silo's hosted client. Orleans'
/// gateway does not check the sending id a client's messages carry, so a modified client could pass for a grain:
/// mutual TLS (<c>Silo:Tls</c>) is what keeps unknown programs off the gateway; the key says who a known one acts for.</remarks>
public sealed partial class ClientCallGate(IServiceProvider services, TimeProvider time, ILogger<ClientCallGate> logger) : IIncomingGrainCallFilter
{
    /// <summary>How long a caller's avatar profile (role, scopes, active) is used before it is read again. A revoked
    /// key stops working within <see cref="ApiKeyStore.MaxAge"/>; a changed role or a deactivation within this.</summary>
    public static readonly TimeSpan ProfileMaxAge = TimeSpan.FromSeconds(2);

    /// <summary>The shortest interval between two refusal log lines (the refusals in between are counted in the next).</summary>
    public static readonly TimeSpan RefusalLogInterval = TimeSpan.FromSeconds(10);

    private const string HostedClientPrefix = "hosted-";
    private const int MaxCachedCallers = 10_000;

    private readonly ConcurrentDictionary<string, CachedProfile> _profiles = new(StringComparer.Ordinal);
    // Resolved at the first client call: the grain factory depends on Orleans' runtime, which resolves this filter.
    private Dependencies? _dependencies;
    private long _refused;
    private long _refusedSinceLog;
    private long _lastRefusalLog;

    private sealed record CachedProfile(AvatarProfile? Profile, long ReadAt);

    private sealed record Dependencies(ApiKeyStore Keys, AccessControl Access, IGrainFactory Grains, AuditLog? Audit);

    /// <summary>Client calls refused since the start.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Whether a call sent by <paramref name="source"/> comes from an Orleans client through a gateway.</summary>
    public static bool IsClientCall(GrainId? source)
    {
        // A message without a sender did not come from Orleans' own runtime: checked like a client's.
        if (source is not { } id) return true;
        if (!id.IsClient()) return false;
        return !id.Key.ToString().StartsWith(HostedClientPrefix, StringComparison.Ordinal);
    }

    /// <inheritdoc />
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        // Orleans' own machinery a client talks to (system targets, grain extensions such as call cancellation) is
        // Orleans' to guard; every grain interface method is ours, and needs a declaration.
        if (!IsClientCall(context.SourceId) || context.TargetId.IsSystemTarget() || typeof(IGrainExtension).IsAssignableFrom(context.InterfaceMethod.DeclaringType))
        {
            await context.Invoke().ConfigureAwait(true);
            return;
        }
        // The key is for this silo only: never passed on to the grains this call reaches, nor to observers they notify.
        var key = RequestContext.Get(ClientCredentials.ApiKeyEntry) as string;
        if (key is not null) RequestContext.Remove(ClientCredentials.ApiKeyEntry);
        var d = _dependencies ??= new Dependencies(services.GetRequiredService<ApiKeyStore>(), services.GetRequiredService<AccessControl>(),
            services.GetRequiredService<IGrainFactory>(), services.GetService<AuditLog>());

        var method = context.InterfaceMethod;
        var name = $"{method.DeclaringType?.Name}.{method.Name}";
        var grainKey = context.TargetId.Key.ToString();
        string? keyId = null;
        Caller? caller = null;
        ImvAccessDeniedException? denied;
        try
        {
            (caller, keyId, denied) = await AuthenticateAsync(d, key).ConfigureAwait(true);
            if (caller is not null) denied = await AuthorizeAsync(d, context, caller, name, grainKey).ConfigureAwait(true);
        }
        catch (Exception e) when (e is not ImvAccessDeniedException and not OutOfMemoryException)
        {
            // A lookup failed (a silo lost): the call fails as a grain call would, and is not let through.
            LogCheckFailed(logger, e, name, grainKey);
            throw;
        }
        if (denied is not null)
        {
            Refuse(denied, name, grainKey, caller?.AvatarId);
            if (d.Audit is { } refusalLog)
                await refusalLog.RecordAsync(new AuditLog.AuditEvent(caller?.AvatarId ?? "(anonymous)", AuditedCall(context, name, grainKey),
                    denied.Denial is AccessDenial.MissingKey or AccessDenial.UnknownKey ? 401 : 403, context.SourceId?.ToString(), Via(keyId) + ": " + denied.Denial),
                    refusal: true, CancellationToken.None).ConfigureAwait(true);
            throw denied;
        }

        var rule = ClientMethodRules.Of(method)!;
        if (!ClientMethodRules.Changes(rule.Right) || d.Audit is not { } audit)
        {
            await context.Invoke().ConfigureAwait(true);
            return;
        }
        // The audit's strings are made only for the calls that are audited, not for every read.
        var via = Via(keyId);
        var what = AuditedCall(context, name, grainKey);
        int status = 200;
        try
        {
            await context.Invoke().ConfigureAwait(true);
        }
        catch (Exception e)
        {
            status = e is ArgumentException ? 400 : 500;
            via += ": " + e.GetType().Name;
            throw;
        }
        finally
        {
            // An answered change is an audited one: the answer leaves once its entry is stored (as for HTTP).
            await audit.RecordAsync(new AuditLog.AuditEvent(caller!.AvatarId, what, status, context.SourceId?.ToString(), via), refusal: false, CancellationToken.None)
                .ConfigureAwait(true);
        }
    }

    private async Task<(Caller? Caller, string? KeyId, ImvAccessDeniedException? Denied)> AuthenticateAsync(Dependencies d, string? key)
    {
        if (string.IsNullOrEmpty(key))
            return (null, null, new ImvAccessDeniedException(AccessDenial.MissingKey,
                "Not authenticated: missing API key. Give the SDK Client:ApiKey (ImvClientOptions.ApiKey), or imv --api-key / IMV_API_KEY."));
        var record = await d.Keys.FindAsync(key, CancellationToken.None).ConfigureAwait(true);
        if (record is null)
            return (null, null, new ImvAccessDeniedException(AccessDenial.UnknownKey, "Not authenticated: unknown API key (not known to this grid, or revoked)."));
        var profile = await ProfileAsync(d, record.AvatarId).ConfigureAwait(true);
        if (profile is null)
            return (null, record.KeyId, new ImvAccessDeniedException(AccessDenial.InactiveAvatar,
                $"Forbidden: the API key names avatar '{record.AvatarId}', which is not registered in this grid."));
        if (!profile.Active)
            return (null, record.KeyId, new ImvAccessDeniedException(AccessDenial.InactiveAvatar, $"Forbidden: avatar '{record.AvatarId}' is inactive."));
        return (new Caller(profile, "key:" + record.KeyId), record.KeyId, null);
    }

    private async Task<AvatarProfile?> ProfileAsync(Dependencies d, string avatarId)
    {
        if (_profiles.TryGetValue(avatarId, out var cached) && time.GetElapsedTime(cached.ReadAt) <= ProfileMaxAge) return cached.Profile;
        var profile = await d.Grains.GetGrain<IAvatarGrain>(avatarId).GetProfileAsync().ConfigureAwait(true);
        if (_profiles.Count >= MaxCachedCallers) _profiles.Clear();
        _profiles[avatarId] = new CachedProfile(profile, time.GetTimestamp());
        return profile;
    }

    private static async Task<ImvAccessDeniedException?> AuthorizeAsync(Dependencies d, IIncomingGrainCallContext context, Caller caller, string name, string grainKey)
    {
        if (ClientMethodRules.Of(context.InterfaceMethod) is not { } rule)
            return new ImvAccessDeniedException(AccessDenial.SiloOnly, $"Forbidden: {name} is not callable by clients (the grid's own path; see docs/sdk.md, \"Authentication\").");
        var right = rule.Right;
        // The audit log is a ledger too: reading it needs the right to read the audit, not the ledger.
        if (right == Right.Ledger && context.InterfaceMethod.DeclaringType == typeof(ILedgerGrain) && grainKey == LedgerNames.Audit) right = Right.Audit;
        var request = context.Request;
        var target = rule.Target == TargetKind.None ? null : rule.TargetArgument >= 0 ? request.GetArgument(rule.TargetArgument) as string : grainKey;
        AccessRefusal? refusal;
        if (caller.ReachOf(right) == Reach.InScope)
        {
            // Scope lookups may call the very grain this call is for (its configuration, its path), inside its turn.
            using var reentrant = RequestContext.AllowCallChainReentrancy();
            refusal = await d.Access.DecideAsync(caller, right, rule.Target, target).ConfigureAwait(true);
            for (int i = 0; refusal is null && i < request.GetArgumentCount(); i++)
                if (request.GetArgument(i) is ReplayRequest replay) refusal = await d.Access.DecideReplayAsync(caller, replay.OrganizationId, replay.TwinIds).ConfigureAwait(true);
        }
        else
        {
            refusal = await d.Access.DecideAsync(caller, right, rule.Target, target).ConfigureAwait(true);
        }
        if (refusal is not null) return new ImvAccessDeniedException(AccessDenial.Forbidden, refusal.Message + $" ({name})", right, target);

        // Who the call acts for is the caller: a command's issuer, a replay's requester.
        for (int i = 0; i < request.GetArgumentCount(); i++)
        {
            if (request.GetArgument(i) is not CommandRequest command) continue;
            if (command.IssuerKind != IssuerKind.Avatar)
                return new ImvAccessDeniedException(AccessDenial.Issuer, "Forbidden: commands from clients are issued by the authenticated avatar; only the grid's control loops issue as ControlLoop.", right, target);
            if (!string.IsNullOrEmpty(command.Issuer) && !string.Equals(command.Issuer, caller.AvatarId, StringComparison.Ordinal))
                return new ImvAccessDeniedException(AccessDenial.Issuer,
                    $"Forbidden: the issuer of a command is the authenticated avatar '{caller.AvatarId}', not '{command.Issuer}'.", right, target);
            request.SetArgument(i, command with { Issuer = caller.AvatarId });
        }
        if (rule.CallerArgument >= 0)
        {
            var named = request.GetArgument(rule.CallerArgument) as string;
            if (!string.IsNullOrEmpty(named) && !string.Equals(named, caller.AvatarId, StringComparison.Ordinal))
                return new ImvAccessDeniedException(AccessDenial.Issuer, $"Forbidden: {name} acts for the authenticated avatar '{caller.AvatarId}', not '{named}'.", right, target);
            request.SetArgument(rule.CallerArgument, caller.AvatarId);
        }
        return null;
    }

    /// <summary>How a client call reached the silo, for the audit: the key's id when it had one.</summary>
    private static string Via(string? keyId) => keyId is null ? "orleans client" : $"key:{keyId} (orleans client)";

    /// <summary>What a client call asked, for the audit: the method, the grain and a command's id.</summary>
    private static string AuditedCall(IIncomingGrainCallContext context, string name, string grainKey) =>
        $"grain {name} {grainKey}" + (CommandIdOf(context) is { } commandId ? $" (command {commandId})" : "");

    private static string? CommandIdOf(IIncomingGrainCallContext context)
    {
        for (int i = 0; i < context.Request.GetArgumentCount(); i++)
            if (context.Request.GetArgument(i) is CommandRequest command) return command.CommandId;
        return null;
    }

    private void Refuse(ImvAccessDeniedException denied, string name, string grainKey, string? avatarId)
    {
        Interlocked.Increment(ref _refused);
        long since = Interlocked.Increment(ref _refusedSinceLog);
        long last = Interlocked.Read(ref _lastRefusalLog);
        if (last != 0 && time.GetElapsedTime(last) < RefusalLogInterval) return;
        if (Interlocked.CompareExchange(ref _lastRefusalLog, time.GetTimestamp(), last) != last) return;
        Interlocked.Add(ref _refusedSinceLog, -since);
        LogRefused(logger, name, grainKey, avatarId ?? "(anonymous)", denied.Denial, denied.Message, since, Refused);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Client call {Method} on {GrainKey} by {AvatarId} refused ({Denial}): {Reason} ({Count} refused since the last such line, {Total} since the start; at most one line per 10 s)")]
    private static partial void LogRefused(ILogger logger, string method, string grainKey, string avatarId, AccessDenial denial, string reason, long count, long total);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Client call {Method} on {GrainKey}: the access check failed")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception, string method, string grainKey);
}
