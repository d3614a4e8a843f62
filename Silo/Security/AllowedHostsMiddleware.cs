using Imv.Silo.Api;
using Microsoft.Extensions.Primitives;

namespace Imv.Silo.Security;

/// <summary>Host filtering: a request whose <c>Host</c> header is not in <c>AllowedHosts</c> is refused with a JSON
/// 400 (a page elsewhere cannot reach the loopback API by DNS rebinding). <c>AllowedHosts</c> is ';'-separated,
/// with <c>*.example.com</c> wildcards; its default is the loopback names. ASP.NET Core's own filter is set to
/// allow all so this one decides and answers JSON.</summary>
public sealed class AllowedHostsMiddleware(RequestDelegate next, IConfiguration configuration)
{
    /// <summary>The hosts allowed when <c>AllowedHosts</c> is not set.</summary>
    public const string DefaultAllowedHosts = "localhost;127.0.0.1;[::1]";

    private readonly StringSegment[] _allowed = (configuration[Key] is { Length: > 0 } v ? v : DefaultAllowedHosts)
        .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(h => new StringSegment(h)).ToArray();

    /// <summary>The setting.</summary>
    public const string Key = "AllowedHosts";

    /// <summary>Handles a request.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_allowed.Any(h => h == "*") || (context.Request.Host.HasValue && HostString.MatchesAny(context.Request.Host.Host, _allowed)))
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        var host = context.Request.Host.Value ?? "";
        await ApiResults.BadRequest($"Host '{host}' is not allowed (AllowedHosts: {string.Join(", ", _allowed)}).", new { header = "Host", allowed = _allowed.Select(a => a.ToString()) })
            .ExecuteAsync(context).ConfigureAwait(false);
    }
}
