namespace Imv.Silo.Api;

/// <summary>JSON error answers with the status codes the API documents (docs/api.md).</summary>
public static class ApiResults
{
    /// <summary>An error answer with <paramref name="status"/>.</summary>
    public static IResult Error(int status, string message, object? detail = null) =>
        Results.Json(new ApiError(message, detail), statusCode: status);

    /// <summary>400: the request is malformed.</summary>
    public static IResult BadRequest(string message, object? detail = null) => Error(StatusCodes.Status400BadRequest, message, detail);

    /// <summary>403: the issuer may not do this.</summary>
    public static IResult Forbidden(string message, object? detail = null) => Error(StatusCodes.Status403Forbidden, message, detail);

    /// <summary>404: no such resource.</summary>
    public static IResult NotFound(string message, object? detail = null) => Error(StatusCodes.Status404NotFound, message, detail);

    /// <summary>409: conflicts with the state (a lease held by another avatar, a duplicate).</summary>
    public static IResult Conflict(string message, object? detail = null) => Error(StatusCodes.Status409Conflict, message, detail);

    /// <summary>422: well formed but refused by a rule (an interlock).</summary>
    public static IResult Unprocessable(string message, object? detail = null) => Error(StatusCodes.Status422UnprocessableEntity, message, detail);

    /// <summary>404 for an unknown twin.</summary>
    public static IResult UnknownTwin(string twinId) => NotFound($"Unknown twin '{twinId}'.", new { twinId });
}
