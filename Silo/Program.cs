using Imv.Silo;
using Imv.Silo.Hosting;
using Microsoft.Extensions.Options;

// The main job: `dotnet run --project Silo` (see docs/main-job.md).
try
{
    var app = SiloApplication.Build(args);
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is SiloConfigurationException or OrleansConfigurationException or OptionsValidationException)
{
    // A configuration mistake is the user's to fix: every problem, no stack trace, exit code 2.
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}
