using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Imv.Silo.Hosting;

/// <summary>Sends Orleans' and Imv's metrics and traces over OTLP when the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (environment or configuration); nothing otherwise.</summary>
public static class TelemetryExport
{
    /// <summary>Meters exported: Orleans' and every Imv meter.</summary>
    public static readonly string[] Meters = ["Microsoft.Orleans", "Imv.*"];

    /// <summary>Activity sources exported: Orleans' grain calls and every Imv source.</summary>
    public static readonly string[] ActivitySources = ["Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", "Imv.*"];

    /// <summary>Adds the exporters when an endpoint is configured; returns whether it did.</summary>
    public static bool AddImvTelemetryExport(this IServiceCollection services, IConfiguration configuration, string serviceInstance)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])) return false;
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(configuration["OTEL_SERVICE_NAME"] ?? "imv-silo", serviceInstanceId: serviceInstance))
            .WithMetrics(m => m.AddMeter(Meters).AddOtlpExporter())
            .WithTracing(t => t.AddSource(ActivitySources).AddOtlpExporter());
        return true;
    }
}
