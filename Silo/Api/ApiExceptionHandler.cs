using Microsoft.AspNetCore.Diagnostics;

namespace Imv.Silo.Api;

/// <summary>Turns exceptions that escape an endpoint into JSON errors: a bad request (unreadable body or parameters)
/// is 400, a grain refusing arguments 400, a grain refusing the operation in its state 409, an unauthorized caller 403, a timeout 504, anything
/// else 500. Every one is logged with the request path.</summary>
public sealed partial class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    /// <inheritdoc />
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        ArgumentNullException.ThrowIfNull(exception);
        var (status, message) = exception switch
        {
            BadHttpRequestException b => (b.StatusCode, "Bad request: " + b.Message),
            UnauthorizedAccessException u => (StatusCodes.Status403Forbidden, u.Message),
            ArgumentException a => (StatusCodes.Status400BadRequest, a.Message),
            FormatException f => (StatusCodes.Status400BadRequest, f.Message),
            InvalidOperationException i => (StatusCodes.Status409Conflict, i.Message),
            TimeoutException t => (StatusCodes.Status504GatewayTimeout, "The grid did not answer in time: " + t.Message),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested => (499, "The request was cancelled."),
            _ => (StatusCodes.Status500InternalServerError, $"Internal error: {exception.GetType().Name}: {exception.Message}"),
        };
        if (status >= 500) LogFailed(logger, exception, httpContext.Request.Method, httpContext.Request.Path, status);
        else LogRefused(logger, httpContext.Request.Method, httpContext.Request.Path, status, message);
        httpContext.Response.StatusCode = status;
        await httpContext.Response.WriteAsJsonAsync(new ApiError(message, new { type = exception.GetType().Name }), cancellationToken).ConfigureAwait(false);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed with {Status}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string method, string path, int status);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path} refused with {Status}: {Message}")]
    private static partial void LogRefused(ILogger logger, string method, string path, int status, string message);
}
