using Imv.Client.Json;
using System.Text.Json.Serialization;
using Imv.Gateways.Configuration;
using Imv.Gateways.OpcUa.Gateway;
using Imv.Gateways.Simulation;
using Imv.Gateways.Twins;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Machines;
using Imv.Grains.Organizations;
using Imv.Silo.Api;
using Imv.Silo.Directory;
using Imv.Silo.Hosting;
using Imv.Silo.Live;
using Imv.Silo.Plant;
using Imv.Silo.Security;
using Imv.Silo.Summary;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Console;
using Orleans.Dashboard;
using Microsoft.Extensions.Options;

namespace Imv.Silo;

/// <summary>The main job's composition: one silo on the embedded defaults (SQLite, the built-in simulated plant),
/// the gateways configured under Gateways:Mqtt and Gateways:OpcUa, the plant bootstrap, the live summary and the
/// HTTP API on 127.0.0.1:5080 (or the <c>--urls</c> given). Tests build it with their own settings.</summary>
public static class SiloApplication
{
    /// <summary>The address the API listens on when no <c>--urls</c> (or ASPNETCORE_URLS) is given.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>How often the live page's subscriptions renew their watches (and notice a failover).</summary>
    internal static readonly TimeSpan LiveRenewInterval = TimeSpan.FromSeconds(10);

    /// <summary>Builds the application from command-line arguments, then <paramref name="configure"/> (tests add
    /// in-memory settings there).</summary>
    public static WebApplication Build(string[] args, Action<ConfigurationManager>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        AddImvSources(builder.Configuration, args);
        configure?.Invoke(builder.Configuration);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
            builder.WebHost.UseUrls(DefaultUrl);

        var summary = builder.Configuration.GetSection(SummaryOptions.SectionName).Get<SummaryOptions>() ?? new SummaryOptions();
        // The live table owns the terminal: only warnings and errors are logged to the console meanwhile.
        if (summary.LiveEnabled) builder.Logging.AddFilter<ConsoleLoggerProvider>(level => level >= LogLevel.Warning);

        // Every problem of the configuration at once (the Silo section, every gateway, the plant), before anything
        // opens: the data file, a gateway connection, the silo's ports.
        var problems = new List<string>();
        var settings = SiloSettingsValidator.Bind(builder.Configuration, problems);
        var auth = AuthSettingsValidator.Bind(builder.Configuration, problems);
        var limits = ApiLimits.Bind(builder.Configuration, problems);
        AuthSettingsValidator.CheckListenAddresses(builder.Configuration["urls"] ?? builder.Configuration["ASPNETCORE_URLS"], auth, problems);
        AuthSettingsValidator.CheckGateway(settings, auth, problems);
        if (settings.Uses(StorageKinds.Sqlite)) SqliteStorageSetup.Validate(builder.Configuration, problems);
        var recording = RecordingSetup.Bind(builder.Configuration, problems);
        RecordingSetup.Check(recording, settings, problems);
        problems.AddRange(GatewayConfigurationValidator.Validate(builder.Configuration));
        ValidatePlant(builder.Configuration, problems);
        if (problems.Count > 0) throw new SiloConfigurationException(problems);
        // Relative data paths are under the working directory, where the user started the silo.
        settings.SqlitePath = Path.GetFullPath(settings.SqlitePath, Environment.CurrentDirectory);
        if (settings.Uses(StorageKinds.Sqlite)) System.IO.Directory.CreateDirectory(Path.GetDirectoryName(settings.SqlitePath)!);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<SiloInfo>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        // The silo first: hosted services start in registration order and stop in reverse, so the bootstrap,
        // the simulator and the gateways (MqttGatewayHostedService, OpcUaGatewayHostedService, registered below)
        // start after the silo runs and stop before it stops: a gateway marks its twins offline while the grid
        // still answers. Nothing that talks to grains may be registered as a hosted service before this line.
        // PostgreSQL reachable and its schema current (or migrated) before Orleans' providers read their queries.
        if (settings.Uses(StorageKinds.AdoNet) || RecordingSetup.UsesPostgreSql(recording, settings)) builder.Services.AddHostedService<PostgreSqlStartup>();
        // The recording before the silo (and after the schema): it stops after the silo, committing what the twins handed it last.
        RecordingSetup.Register(builder.Services, recording, settings);
        builder.UseOrleans(silo => silo.ConfigureImvSilo(settings, builder.Configuration));
        builder.Services.AddImvTelemetryExport(builder.Configuration, settings.Name);
        builder.Services.AddImvAuthentication(auth);
        builder.Services.AddSingleton(limits);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = limits.MaxRequestBodyBytes;
            // A long id in a path gets the API's JSON answer (400 naming the id rule), not Kestrel's empty 414.
            k.Limits.MaxRequestLineSize = 64 * 1024;
            k.Limits.MaxRequestHeadersTotalSize = 96 * 1024;
            // https:// addresses serve the silo's own certificate unless Kestrel's own settings name one.
            if (settings.Tls.Enabled) k.ConfigureHttpsDefaults(h => h.ServerCertificate ??= settings.Tls.LoadCertificate());
        });
        // The first administrator key is made once the silo runs (it is a grain's state), before the plant bootstrap.
        builder.Services.AddSingleton<AdminKeyBootstrap>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AdminKeyBootstrap>());
        builder.Services.AddSingleton<Imv.Silo.Audit.AuditLog>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Imv.Silo.Audit.AuditLog>());
        builder.Services.AddSingleton(sp => builder.Configuration.GetSection(TwinTelemetryRouterOptions.SectionName).Get<TwinTelemetryRouterOptions>() ?? new TwinTelemetryRouterOptions());
        builder.Services.AddSingleton<TwinTelemetryRouter>();
        builder.Services.AddSingleton<TwinDirectory>();
        builder.Services.AddSingleton<TwinListing>();
        builder.Services.AddSingleton<GridCatalog>();
        builder.Services.AddSingleton<GridCounters>();
        builder.Services.AddSingleton<IPlantEventSink, DirectoryRecordingSink>();
        builder.Services.AddSingleton<IPlantGatewayRegistry, PlantGatewayRegistry>();
        // Machine twins push their status to their line; lines to sites; sites to the enterprise.
        builder.Services.AddSingleton<IMachineStatusPublisher, OrganizationStatusPublisher>();

        // The bootstrap runs after the silo started (registered after it) and before the simulator starts.
        builder.Services.AddOptions<PlantOptions>().Bind(builder.Configuration.GetSection(PlantOptions.SectionName)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PlantOptions>>(new PlantOptionsValidator());
        builder.Services.AddSingleton<PlantBootstrapService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PlantBootstrapService>());

        builder.Services.AddSimulatedPlant(builder.Configuration);
        builder.Services.AddMqttGateways(builder.Configuration);
        builder.Services.AddOpcUaGateways(builder.Configuration);
        builder.Services.AddHostedService<Imv.Silo.Gateways.OpcUaGatewayHostedService>();
        if (settings.IsClustered) UseGatewayOwnership(builder.Services);

        // Replays (docs/replay.md): after the silo, so a running replay stops (and its sandbox with it) before the silo.
        builder.Services.AddSingleton<Imv.Silo.Replay.ReplayService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Imv.Silo.Replay.ReplayService>());
        builder.Services.AddSingleton<Imv.Silo.Replay.ReplayStarter>();

        builder.Services.Configure<SummaryOptions>(builder.Configuration.GetSection(SummaryOptions.SectionName));
        builder.Services.AddSingleton<GridSummarySource>();
        builder.Services.AddHostedService<LiveSummaryService>();

        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            // Enums by name only: a number ("role": 2) is refused, undefined or not.
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(namingPolicy: null, allowIntegerValues: false));
            o.SerializerOptions.Converters.Add(new TagValueJsonConverter());
            o.SerializerOptions.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
        });
        // The live page's feeds use the SDK's subscriptions on this silo's own grain factory.
        builder.Services.AddSingleton(sp => new Imv.Client.ImvClient(sp.GetRequiredService<IGrainFactory>(),
            new Imv.Client.Connection.ImvClientOptions { RenewInterval = LiveRenewInterval, RootOrganization = builder.Configuration["Plant:EnterpriseId"] ?? "enterprise" },
            sp.GetService<ILoggerFactory>()));
        builder.Services.AddExceptionHandler<ApiExceptionHandler>();
        builder.Services.AddProblemDetails();

        // Host filtering is ours (AllowedHostsMiddleware answers JSON); ASP.NET Core's own lets everything through.
        builder.Services.PostConfigure<Microsoft.AspNetCore.HostFiltering.HostFilteringOptions>(o => o.AllowedHosts = ["*"]);

        var app = builder.Build();
        app.UseMiddleware<AllowedHostsMiddleware>();
        app.UseExceptionHandler();
        // The live page (wwwroot: index.html, app.js, api.js, style.css) at /.
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseStatusCodePages(async context =>
        {
            // Unmatched routes and methods answer JSON too.
            var response = context.HttpContext.Response;
            if (response.HasStarted || response.ContentLength > 0 || response.ContentType is not null) return;
            var request = context.HttpContext.Request;
            var message = response.StatusCode switch
            {
                StatusCodes.Status404NotFound => $"No endpoint {request.Method} {request.Path}: see docs/api.md.",
                StatusCodes.Status405MethodNotAllowed => $"{request.Method} is not allowed on {request.Path}.",
                _ => $"HTTP {response.StatusCode}.",
            };
            await response.WriteAsJsonAsync(new ApiError(message), context.HttpContext.RequestAborted).ConfigureAwait(false);
        });
        // Routing first, so the gate sees the endpoint and its access rule; the gate before every endpoint.
        app.UseRouting();
        app.UseMiddleware<Imv.Silo.Audit.AuditMiddleware>();
        app.UseMiddleware<ApiAccessMiddleware>();
        var info = app.Services.GetRequiredService<SiloInfo>();
        app.Logger.LogInformation("Imv silo starting; clustering {Clustering}, storage {Storage}, reminders {Reminders}, data file {DataFile}",
            settings.Clustering, settings.Storage, settings.Reminders, info.DataFile ?? "(none)");
        if (settings.Dashboard) app.MapOrleansDashboard("/dashboard");
        app.MapAccessEndpoints();
        app.MapAuditEndpoints();
        app.MapSummaryEndpoints();
        app.MapTwinEndpoints();
        app.MapGatewayEndpoints();
        app.MapCommandEndpoints();
        app.MapLeaseEndpoints();
        app.MapOrganizationEndpoints();
        app.MapIdentityEndpoints();
        app.MapLedgerEndpoints();
        app.MapAvatarEndpoints();
        app.MapControlLoopEndpoints();
        app.MapAssetEndpoints();
        app.MapReplayEndpoints();
        app.MapLiveEndpoints();
        return app;
    }

    /// <summary>In a cluster every gateway connection runs on one silo at a time: instead of each silo starting every
    /// connection, the owner grain of each connection starts it where it is activated (docs/cluster.md).</summary>
    private static void UseGatewayOwnership(IServiceCollection services)
    {
        Type[] startsEverything = [typeof(SimulatedPlantService), typeof(Imv.Gateways.MqttGateway.MqttGatewayHostedService), typeof(Imv.Silo.Gateways.OpcUaGatewayHostedService)];
        foreach (var d in services.Where(d => d.ServiceType == typeof(IHostedService) && startsEverything.Contains(d.ImplementationType)).ToList())
            services.Remove(d);
        services.AddSingleton<Imv.Silo.Cluster.LocalGatewayHost>();
        services.Replace(ServiceDescriptor.Singleton<IPlantGatewayRegistry, Imv.Silo.Cluster.ClusterGatewayRegistry>());
        services.AddSingleton<Imv.Silo.Cluster.GatewayOwnershipService>();
        services.AddHostedService(sp => sp.GetRequiredService<Imv.Silo.Cluster.GatewayOwnershipService>());
    }

    /// <summary>Imv's configuration sources on top of the host's (appsettings.json): the file named by
    /// <c>--config</c>, environment variables prefixed <c>IMV_</c>, then the command line.</summary>
    internal static void AddImvSources(IConfigurationBuilder configuration, string[] args)
    {
        if (args.SkipWhile(a => a != "--config").Skip(1).FirstOrDefault() is { } configFile)
            configuration.AddJsonFile(Path.GetFullPath(configFile, Environment.CurrentDirectory), optional: false);
        configuration.AddEnvironmentVariables("IMV_").AddCommandLine(args);
    }

    /// <summary>The Plant section's problems (a value of the wrong type, or a rule of <see cref="PlantOptions.Validate"/>).</summary>
    private static void ValidatePlant(IConfiguration configuration, List<string> problems)
    {
        PlantOptions? plant;
        try
        {
            plant = configuration.GetSection(PlantOptions.SectionName).Get<PlantOptions>();
        }
        catch (InvalidOperationException e)
        {
            problems.Add($"{PlantOptions.SectionName}: {e.Message}");
            return;
        }
        if (plant is not null) problems.AddRange(plant.Validate());
    }
}
