using System.Collections.Concurrent;
using System.Text;
using Imv.Silo.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Imv.Silo.Tests;

/// <summary>With the standard OTEL_EXPORTER_OTLP_ENDPOINT set, the silo sends its traces and metrics over OTLP/HTTP:
/// a real HTTP endpoint started here receives a twin ingest span and Imv's and Orleans' metrics.</summary>
public sealed class TelemetryExportTests
{
    [Fact]
    public async Task Traces_and_metrics_reach_an_OTLP_HTTP_endpoint()
    {
        var received = new ConcurrentQueue<(string Path, byte[] Body)>();
        var receiver = WebApplication.CreateSlimBuilder();
        receiver.WebHost.UseUrls("http://127.0.0.1:0");
        await using var collector = receiver.Build();
        collector.MapPost("/v1/{signal}", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            received.Enqueue((context.Request.Path, buffer.ToArray()));
            return Results.Ok();
        });
        await collector.StartAsync();
        var endpoint = collector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        await using var silo = await TestSilo.StartAsync(settings: new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        });

        bool Has(string path, string text) =>
            received.Any(r => r.Path == path && Encoding.UTF8.GetString(r.Body).Contains(text, StringComparison.Ordinal));
        await TestSilo.EventuallyAsync(() => Task.FromResult(Has("/v1/traces", "imv.twin.ingest")), "an imv.twin.ingest span at /v1/traces");
        await TestSilo.EventuallyAsync(() => Task.FromResult(Has("/v1/metrics", "imv.storage.commits")), "Imv's storage metric at /v1/metrics");
        await TestSilo.EventuallyAsync(() => Task.FromResult(Has("/v1/metrics", "orleans")), "an Orleans metric at /v1/metrics");
        // The ingest span names its twin (tag imv.twin), so a trace can be followed to one machine.
        Assert.True(Has("/v1/traces", "imv.twin") && Has("/v1/traces", "site-1.line-0"), "ingest spans carry the twin id");
    }
}
