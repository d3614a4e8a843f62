using System.Net.Http.Json;
using System.Text.Json;

namespace Imv.Silo.Tests.Support;

/// <summary>An HttpClient of the API authenticated as one avatar (its API key in <c>X-Api-Key</c>), with helpers
/// that assert the status code and parse the JSON answer. <see cref="TestSilo"/> makes them.</summary>
public sealed class ApiClient : IDisposable
{
    /// <summary>Creates a client of <paramref name="baseAddress"/> sending <paramref name="apiKey"/> (none when null).</summary>
    public ApiClient(Uri baseAddress, string? apiKey, string? avatarId) : this(baseAddress, apiKey is null ? null : () => Task.FromResult(apiKey), avatarId) { }

    /// <summary>Creates a client whose key <paramref name="key"/> gives at its first request (a key the administrator
    /// creates on first use).</summary>
    public ApiClient(Uri baseAddress, Func<Task<string>>? key, string? avatarId)
    {
        _key = key is null ? null : new Lazy<Task<string>>(key);
        Http = new HttpClient(new KeyHandler(this)) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        AvatarId = avatarId;
    }

    private readonly Lazy<Task<string>>? _key;

    private sealed class KeyHandler(ApiClient owner) : DelegatingHandler(new HttpClientHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (owner._key is not null && !request.Headers.Contains("X-Api-Key"))
                request.Headers.TryAddWithoutValidation("X-Api-Key", await owner._key.Value.WaitAsync(cancellationToken));
            return await base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>The underlying client (base address and key set).</summary>
    public HttpClient Http { get; }

    /// <summary>The avatar the client acts as; null for an anonymous client.</summary>
    public string? AvatarId { get; }

    /// <summary>The key it sends (null for an anonymous client).</summary>
    public async Task<string?> GetApiKeyAsync() => _key is null ? null : await _key.Value;

    /// <summary>GET as JSON; asserts the status code.</summary>
    public async Task<JsonElement> GetAsync(string path, int expectedStatus = 200)
    {
        using var response = await Http.GetAsync(new Uri(path, UriKind.Relative));
        return await ReadAsync(response, expectedStatus, "GET " + path);
    }

    /// <summary>Sends a JSON body (a string is sent as is); asserts the status code.</summary>
    public async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body, int expectedStatus)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null) request.Content = body is string raw ? new StringContent(raw, System.Text.Encoding.UTF8, "application/json") : JsonContent.Create(body);
        using var response = await Http.SendAsync(request);
        return await ReadAsync(response, expectedStatus, $"{method} {path}");
    }

    /// <summary>POST as JSON; asserts the status code.</summary>
    public Task<JsonElement> PostAsync(string path, object? body, int expectedStatus) => SendAsync(HttpMethod.Post, path, body, expectedStatus);

    private async Task<JsonElement> ReadAsync(HttpResponseMessage response, int expectedStatus, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expectedStatus, $"{what} as {AvatarId ?? "(anonymous)"}: expected {expectedStatus}, got {(int)response.StatusCode}: {text}");
        if (string.IsNullOrEmpty(text)) return default;
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <inheritdoc />
    public void Dispose() => Http.Dispose();
}
