using Imv.Grains.Interfaces.Plant;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Imv.Gateways.Simulation;

/// <summary>The hosted loop: starts the plant, steps it every tick interval of real time, reports the machines
/// Offline when the host stops. A tick that falls behind is not made up (the timer skips), so simulated time
/// follows real time as closely as the machine allows.</summary>
public sealed partial class SimulatedPlantService(SimulatedPlant plant, ILogger<SimulatedPlantService> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await plant.StartAsync(stoppingToken).ConfigureAwait(false);
        LogStarted(logger, plant.Machines.Count, plant.Options.TickInterval);
        using var timer = new PeriodicTimer(plant.Options.TickInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await plant.StepAsync(null, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogTickFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await plant.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Simulated plant started: {Machines} machines, tick {Tick}")]
    private static partial void LogStarted(ILogger logger, int machines, TimeSpan tick);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Simulated plant tick failed")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);
}

/// <summary>Validates <see cref="SimulatorOptions"/>; each failure names its key and value.</summary>
public sealed class SimulatorOptionsValidator : IValidateOptions<SimulatorOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SimulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Registration of the simulated plant in a host.</summary>
public static class SimulatorServiceCollectionExtensions
{
    /// <summary>Binds <see cref="SimulatorOptions"/> from the <c>Simulator</c> section (validated at start, errors
    /// naming the key and value) and registers the <see cref="SimulatedPlant"/> as a singleton and as an
    /// <see cref="IPlantGateway"/>; when <see cref="SimulatorOptions.Enabled"/>, also the hosted loop. The host
    /// must register the <see cref="IPlantEventSink"/> the plant feeds.</summary>
    public static IServiceCollection AddSimulatedPlant(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SimulatorOptions.SectionName);
        services.AddOptions<SimulatorOptions>().Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SimulatorOptions>, SimulatorOptionsValidator>();
        services.AddSingleton(sp => new SimulatedPlant(sp.GetRequiredService<IOptions<SimulatorOptions>>().Value, sp.GetRequiredService<IPlantEventSink>()));
        services.AddSingleton<IPlantGateway>(sp => sp.GetRequiredService<SimulatedPlant>());
        var enabled = section.GetValue(nameof(SimulatorOptions.Enabled), true);
        if (enabled) services.AddHostedService<SimulatedPlantService>();
        return services;
    }
}
