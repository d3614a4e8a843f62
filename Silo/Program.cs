using Imv.Silo;
using Imv.Silo.Hosting;

// The main job: `dotnet run --project Silo` (see docs/main-job.md); `dotnet run --project Silo -- migrate` applies
// the PostgreSQL schema (docs/cluster.md).
if (args.Length > 0 && args[0] == MigrateCommand.Name)
    return await MigrateCommand.RunAsync(args[1..], Console.Out, Console.Error, CancellationToken.None);
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
