using Imv.Gateways.OpcUa.Gateway;
using Imv.Gateways.Simulation;
using Imv.Gateways.Twins;
using Imv.Grains.Interfaces.Plant;
using Imv.Runtime.Hosting;
using Imv.Runtime.Storage.Sqlite;

// The main job: one silo on the embedded defaults (SQLite, the built-in simulated plant), with the
// gateways configured under Gateways:Mqtt and Gateways:OpcUa, and the HTTP API on 127.0.0.1.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
if (args.SkipWhile(a => a != "--config").Skip(1).FirstOrDefault() is { } configFile)
    builder.Configuration.AddJsonFile(Path.GetFullPath(configFile, Environment.CurrentDirectory), optional: false);
builder.Configuration.AddEnvironmentVariables("IMV_").AddCommandLine(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
    builder.WebHost.UseUrls("http://127.0.0.1:5080");

builder.Services.AddImvSilo(builder.Configuration, o =>
{
    // Relative data paths are under the working directory, where the user started the silo.
    if (!Path.IsPathRooted(o.SqlitePath)) o.SqlitePath = Path.GetFullPath(o.SqlitePath, Environment.CurrentDirectory);
});
builder.Services.AddSingleton(sp => builder.Configuration.GetSection(TwinTelemetryRouterOptions.SectionName).Get<TwinTelemetryRouterOptions>() ?? new TwinTelemetryRouterOptions());
builder.Services.AddSingleton<TwinTelemetryRouter>();
builder.Services.AddSingleton<IPlantEventSink>(sp => sp.GetRequiredService<TwinTelemetryRouter>());
builder.Services.AddSingleton<IPlantGatewayRegistry, PlantGatewayRegistry>();
builder.Services.AddSimulatedPlant(builder.Configuration);
builder.Services.AddMqttGateways(builder.Configuration);
builder.Services.AddOpcUaGateways(builder.Configuration);

var app = builder.Build();
var sqlite = app.Services.GetRequiredService<SqliteStorageOptions>();
app.Logger.LogInformation("Imv silo starting; data file {DataFile}", Path.GetFullPath(sqlite.Path));
app.MapGet("/api/health", (Imv.Runtime.SiloRuntime silo) => Results.Ok(new { silo = silo.Name, activations = silo.ActivationCount }));
await app.RunAsync();
