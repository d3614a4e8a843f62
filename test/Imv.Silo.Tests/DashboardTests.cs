using Imv.Silo.Tests.Support;

namespace Imv.Silo.Tests;

/// <summary>The Orleans Dashboard is served by the silo's web host at /dashboard, beside the API.</summary>
[Collection(SharedSiloCollection.Name)]
public sealed class DashboardTests(SharedSiloFixture fixture)
{
    [Fact]
    public async Task The_Orleans_dashboard_is_served_at_slash_dashboard()
    {
        using var response = await fixture.Silo.Client.GetAsync(new Uri("/dashboard", UriKind.Relative));
        var page = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET /dashboard: {(int)response.StatusCode}");
        Assert.Contains("<html", page, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Orleans", page, StringComparison.OrdinalIgnoreCase);
    }
}
