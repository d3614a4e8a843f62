using System.Text.Json;
using Imv.Silo.Tests.Support;

namespace Imv.Silo.Tests;

/// <summary>The plant recording through the HTTP API: the simulated plant's readings are recorded, and a twin can be
/// asked what it was at an instant and what a tag read over a range.</summary>
[Collection(SharedSiloCollection.Name)]
public sealed class TimeTravelApiTests(SharedSiloFixture fixture)
{
    private const string Twin = "site-1.line-01.machine-001";
    private TestSilo Silo => fixture.Silo;

    private async Task<string> NumericTagAsync()
    {
        // The first test of a run may ask before the simulated plant's first readings reached the twin.
        string? name = null;
        await TestSilo.EventuallyAsync(async () =>
        {
            var twin = await Silo.GetAsync($"/api/twins/{Twin}");
            name = twin.GetProperty("tags").EnumerateArray().Where(t => t.GetProperty("value").ValueKind == JsonValueKind.Number)
                .Select(t => t.GetProperty("name").GetString()).FirstOrDefault();
            return name is not null;
        }, $"a numeric tag of {Twin}");
        return name!;
    }

    /// <summary>Waits until the recording holds at least <paramref name="readings"/> readings of <paramref name="tag"/>.</summary>
    private async Task<JsonElement> RecordedAsync(string tag, int readings)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await Silo.Client.GetAsync(new Uri($"/api/twins/{Twin}/history?tag={tag}&maxPoints=100000", UriKind.Relative));
            if (response.IsSuccessStatusCode)
            {
                var history = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
                if (history.GetProperty("readings").GetInt32() >= readings) return history;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"fewer than {readings} readings of '{tag}' recorded in 60 s ({response.StatusCode})");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task History_is_downsampled_to_min_max_avg_buckets_when_more_points_exist_than_asked()
    {
        string tag = await NumericTagAsync();
        var raw = await RecordedAsync(tag, 12);
        Assert.False(raw.GetProperty("downsampled").GetBoolean());
        var to = DateTimeOffset.UtcNow.AddMinutes(1).ToString("O");
        var small = await Silo.GetAsync($"/api/twins/{Twin}/history?tag={tag}&maxPoints=4&to={Uri.EscapeDataString(to)}");
        Assert.True(small.GetProperty("downsampled").GetBoolean());
        var points = small.GetProperty("points").EnumerateArray().ToList();
        Assert.InRange(points.Count, 1, 4);
        Assert.True(points.Sum(p => p.GetProperty("count").GetInt32()) >= 12);
        foreach (var p in points)
        {
            double min = p.GetProperty("min").GetDouble(), max = p.GetProperty("max").GetDouble(), avg = p.GetProperty("avg").GetDouble();
            Assert.True(min <= avg && avg <= max, $"min {min} avg {avg} max {max}");
        }
    }

    [Fact]
    public async Task A_twin_at_an_instant_has_the_values_recorded_last_before_it()
    {
        string tag = await NumericTagAsync();
        // 40 readings first (4 s at the plant's 10 Hz): run first on a new silo, an instant 2 s back would precede the
        // recording. Then an instant the recording has committed (entries reach the file a flush interval after the twin
        // accepted them).
        await RecordedAsync(tag, 40);
        var at = DateTimeOffset.UtcNow.AddSeconds(-2);
        var atText = Uri.EscapeDataString(at.ToString("O"));
        var then = await Silo.GetAsync($"/api/twins/{Twin}?at={atText}");
        Assert.Equal(Twin, then.GetProperty("twinId").GetString());
        var tags = then.GetProperty("tags").EnumerateArray().ToList();
        var current = await Silo.GetAsync($"/api/twins/{Twin}");
        Assert.Equal(current.GetProperty("tags").GetArrayLength(), tags.Count);
        var asOf = tags.Single(t => t.GetProperty("name").GetString() == tag);
        Assert.True(asOf.GetProperty("receivedTimestamp").GetDateTimeOffset() <= at);
        // The same reading the history ends with when asked up to that instant.
        var history = await Silo.GetAsync($"/api/twins/{Twin}/history?tag={tag}&maxPoints=100000&to={atText}");
        var last = history.GetProperty("points").EnumerateArray().Last();
        Assert.Equal(last.GetProperty("value").GetDouble(), asOf.GetProperty("value").GetDouble());
        Assert.Equal(asOf.GetProperty("value").GetDouble(), then.GetProperty("shadowReported").GetProperty(tag).GetDouble());
    }

    [Theory]
    [InlineData("/api/twins/nobody?at=2026-01-01T00:00:00Z", 404, "Unknown twin 'nobody'")]
    [InlineData("/api/twins/nobody/history?tag=x", 404, "Unknown twin 'nobody'")]
    [InlineData("/api/twins/" + Twin + "?at=yesterday", 400, "'at'")]
    [InlineData("/api/twins/" + Twin + "?at=2000-01-01T00:00:00Z", 404, "its recording starts at")]
    [InlineData("/api/twins/" + Twin + "/history", 400, "'tag' is required")]
    [InlineData("/api/twins/" + Twin + "/history?tag=nope", 404, "has no tag 'nope'")]
    [InlineData("/api/twins/" + Twin + "/history?tag=x&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", 400, "'from'")]
    [InlineData("/api/twins/" + Twin + "/history?tag=x&maxPoints=0", 400, "'maxPoints'")]
    [InlineData("/api/twins/" + Twin + "/history?tag=x&to=never", 400, "'to'")]
    public async Task Bad_questions_are_refused_naming_what_was_wrong(string path, int status, string expected)
    {
        await RecordedAsync(await NumericTagAsync(), 1);
        var error = await Silo.GetAsync(path, status);
        Assert.Contains(expected, error.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_range_with_nothing_recorded_is_404_naming_the_recorded_span()
    {
        string tag = await NumericTagAsync();
        await RecordedAsync(tag, 1);
        var error = await Silo.GetAsync($"/api/twins/{Twin}/history?tag={tag}&from=2001-01-01T00:00:00Z&to=2001-01-02T00:00:00Z", 404);
        Assert.Contains("Nothing recorded for tag", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("recording spans", error.GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}
