using System.Globalization;
using Imv.Silo.Tests.Support;
using Microsoft.Playwright;

namespace Imv.Web.Tests;

/// <summary>The live page in a real browser against a real silo: signing in with the administrator's key, the tree, a simulated value changing, a command
/// issued from the form reaching Applied, an alarm appearing, the ledger check, and a lost connection shown and
/// recovered when the silo is replaced.</summary>
public sealed class LivePageTests
{
    private const string Machine = "site-1.line-01.machine-001";
    private static readonly float Wait = 30_000;

    private static Dictionary<string, string?> Settings(int http, int siloPort, int gatewayPort) => new()
    {
        ["urls"] = "http://127.0.0.1:" + http.ToString(CultureInfo.InvariantCulture),
        ["Silo:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
        ["Silo:GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
        // Every machine idle at ambient (22 degC); the alarm limit is just above it, so a machine started from the
        // page goes into alarm within seconds.
        ["Simulator:InitiallyRunning"] = "0",
        ["Plant:TemperatureHigh"] = "25",
        ["Plant:TemperatureHighHigh"] = "300",
    };

    [Fact]
    public async Task The_page_follows_the_plant_commands_a_machine_and_survives_a_lost_connection()
    {
        int http = TestSilo.FreePort(), siloPort = TestSilo.FreePort(), gatewayPort = TestSilo.FreePort();
        var dataFile = TestSilo.NewDataFile();
        var silo = await TestSilo.StartAsync(dataFile, Settings(http, siloPort, gatewayPort));
        var (playwright, browser) = await Chromium.LaunchAsync();
        try
        {
            var page = await browser.NewPageAsync();
            var errors = new List<string>();
            page.PageError += (_, e) => errors.Add(e);
            await page.GotoAsync($"http://127.0.0.1:{http}/");

            // Without a key the page says so and offers the sign-in; a wrong key is refused; the administrator's key
            // (the file beside the data file) signs in, and the cookie carries it to every request and the event stream.
            await Assertions.Expect(page.Locator("#connection")).ToHaveAttributeAsync("data-state", "signedout", new() { Timeout = Wait });
            await Assertions.Expect(page.Locator("#signin-state")).ToContainTextAsync("not signed in");
            await Assertions.Expect(page.Locator("#plant")).ToBeHiddenAsync();
            await page.Locator("#signin-form input[name=apiKey]").FillAsync("imv_not-a-key");
            await page.Locator("#signin-form button[type=submit]").ClickAsync();
            await Assertions.Expect(page.Locator("#signin-result")).ToContainTextAsync("401", new() { Timeout = Wait });
            await page.Locator("#signin-form input[name=apiKey]").FillAsync(silo.AdminKey);
            await page.Locator("#signin-form button[type=submit]").ClickAsync();
            await Assertions.Expect(page.Locator("#who")).ToHaveTextAsync("admin (Administrator)", new() { Timeout = Wait });
            var cookies = await page.Context.CookiesAsync();
            Assert.Contains(cookies, c => c.Name == "imv_api_key" && c.HttpOnly);

            // The tree down to machines, and the live connection.
            await Assertions.Expect(page.Locator("#connection")).ToHaveAttributeAsync("data-state", "live", new() { Timeout = Wait });
            await Assertions.Expect(page.Locator($"#tree a[data-twin='{Machine}']")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#tree a[data-org='site-1.line-02']")).ToBeVisibleAsync();

            // A simulated value changes without a reload.
            var temperature = page.Locator($"#machines tr[data-twin='{Machine}'] td.temperature");
            await Assertions.Expect(temperature).Not.ToBeEmptyAsync(new() { Timeout = Wait });
            var first = await temperature.TextContentAsync();
            await Assertions.Expect(temperature).Not.ToHaveTextAsync(first!, new() { Timeout = Wait });

            // A command from the form moves to Applied; the started machine heats up into an alarm.
            Assert.Equal(0, await page.Locator($"#alarms li[data-twin='{Machine}']").CountAsync());
            await page.Locator($"#machines tr[data-twin='{Machine}']").ClickAsync();
            await Assertions.Expect(page.Locator("#detail-title")).ToHaveTextAsync(Machine);
            await page.Locator("#command-form input[name=method]").FillAsync("Start");
            await page.Locator("#command-form button[type=submit]").ClickAsync();
            var status = page.Locator("#commands tr[data-command^='page-'] td.status");
            await Assertions.Expect(status).ToHaveTextAsync("Applied", new() { Timeout = Wait });
            await Assertions.Expect(page.Locator($"#alarms li[data-twin='{Machine}']")).ToBeVisibleAsync(new() { Timeout = Wait });
            await Assertions.Expect(page.Locator($"#machines tr[data-twin='{Machine}'] td.alarm")).ToContainTextAsync("temperature");

            // A refused command shows its reason.
            await page.Locator("#command-form input[name=method]").FillAsync("");
            await page.Locator("#command-form input[name=tag]").FillAsync("temperatureSetpoint");
            await page.Locator("#command-form input[name=value]").FillAsync("900");
            await page.Locator("#command-form button[type=submit]").ClickAsync();
            await Assertions.Expect(page.Locator("#command-result")).ToContainTextAsync("interlock", new() { Timeout = Wait });

            // The ledger check.
            await page.Locator("#verify-ledger").ClickAsync();
            await Assertions.Expect(page.Locator("#ledger-result")).ToContainTextAsync("ledger verified", new() { Timeout = Wait });

            // The silo goes away: the page says the connection is lost; another silo takes over on the same ports and
            // data file: the page reconnects and values move again.
            await silo.DisposeAsync();
            await Assertions.Expect(page.Locator("#connection")).ToHaveAttributeAsync("data-state", "lost", new() { Timeout = Wait });
            silo = await TestSilo.StartAsync(dataFile, Settings(http, siloPort, gatewayPort));
            await Assertions.Expect(page.Locator("#connection")).ToHaveAttributeAsync("data-state", "live", new() { Timeout = Wait });
            var again = await temperature.TextContentAsync();
            await Assertions.Expect(temperature).Not.ToHaveTextAsync(again!, new() { Timeout = Wait });
            // Signing out closes the feed and shows the sign-in again.
            await page.Locator("#sign-out").ClickAsync();
            await Assertions.Expect(page.Locator("#connection")).ToHaveAttributeAsync("data-state", "signedout", new() { Timeout = Wait });
            await Assertions.Expect(page.Locator("#signin")).ToBeVisibleAsync();
            Assert.Empty(errors);
        }
        finally
        {
            await browser.DisposeAsync();
            playwright.Dispose();
            await silo.DisposeAsync();
        }
    }
}
