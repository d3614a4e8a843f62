using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Imv.Silo.Api;

/// <summary>Reads a JSON request body, turning every problem (no body, not JSON, wrong shape) into a 400 answer
/// that says what was wrong.</summary>
public static class RequestBody
{
    /// <summary>The body as <typeparamref name="T"/>, or an error answer.</summary>
    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken) where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength == 0) return (null, ApiResults.BadRequest("The request needs a JSON body."));
        if (!request.HasJsonContentType()) return (null, ApiResults.BadRequest($"The body must be JSON (Content-Type: application/json), not '{request.ContentType}'."));
        var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, options, cancellationToken).ConfigureAwait(false);
            return value is null ? (null, ApiResults.BadRequest("The request body is null.")) : (value, null);
        }
        catch (JsonException e)
        {
            return (null, ApiResults.BadRequest("The request body is not valid JSON for this request: " + e.Message, new { path = e.Path }));
        }
    }
}
