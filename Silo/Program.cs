using Imv.Silo;
using Imv.Silo.Hosting;

// The main job: `dotnet run --project Silo` (see docs/main-job.md).
WebApplication app;
try
{
    app = SiloApplication.Build(args);
    await app.StartAsync();
}
catch (Exception e)
{
    // A start refused for a reason the user can fix (configuration, a data file it cannot use) prints that reason
    // alone, without a stack trace. Exit code 2: configuration; 1: anything else that stopped the start.
    var (code, message) = StartFailure.Describe(e);
    await Console.Error.WriteLineAsync(message);
    return code;
}
await app.WaitForShutdownAsync();
await app.DisposeAsync();
return 0;
