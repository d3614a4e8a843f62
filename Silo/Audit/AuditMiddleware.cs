using Imv.Silo.Security;

namespace Imv.Silo.Audit;

/// <summary>Records in the <see cref="AuditLog"/> every request that changes something (any method but GET, HEAD and
/// OPTIONS: commands, leases, configuration, keys, logins, whatever their outcome) and every refused request (401,
/// 403), with who (the authenticated avatar), what (method, path and query), when, from where (the client's address)
/// and the status. The answer's headers go out only once its entry is stored (or appending it failed, logged).</summary>
public sealed class AuditMiddleware(RequestDelegate next, AuditLog audit)
{
    /// <summary>The item under which the gate leaves the reason of a 401 or 403.</summary>
    public const string RefusalItem = "imv.audit.refusal";

    /// <summary>The longest "what" recorded (method, path and query).</summary>
    public const int MaxWhatLength = 512;

    /// <summary>Handles a request.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var method = context.Request.Method;
        bool change = !HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) && !HttpMethods.IsOptions(method);
        context.Response.OnStarting(async () =>
        {
            int status = context.Response.StatusCode;
            bool refusal = status is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden;
            if (!change && !refusal) return;
            var caller = context.Features.Get<Caller>();
            var what = $"{method} {context.Request.Path}{context.Request.QueryString}";
            if (what.Length > MaxWhatLength) what = what[..MaxWhatLength] + $"… ({what.Length} characters)";
            var via = context.Items.TryGetValue(RefusalItem, out var reason) && reason is string r ? (caller?.Via is { } v ? v + ": " : "") + r : caller?.Via;
            await audit.RecordAsync(new AuditLog.AuditEvent(caller?.AvatarId ?? "(anonymous)", what, status, context.Connection.RemoteIpAddress?.ToString(), via),
                refusal && !change, context.RequestAborted).ConfigureAwait(false);
        });
        return next(context);
    }
}
