using Microsoft.Playwright;

namespace Imv.Web.Tests;

/// <summary>Debian's chromium (installed by test.sh; no browser download is possible here) driven by Playwright.</summary>
public static class Chromium
{
    public const string Path = "/usr/bin/chromium";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        Assert.True(File.Exists(Path), $"{Path} is missing: test.sh installs it (apt-get install chromium)");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Path, Args = ["--no-sandbox"], Headless = true });
        return (playwright, browser);
    }
}
