using Imv.Silo;

// The main job: `dotnet run --project Silo` (see docs/main-job.md).
var app = SiloApplication.Build(args);
await app.RunAsync();
