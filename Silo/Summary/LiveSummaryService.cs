using System.Globalization;
using Imv.Silo.Plant;
using Microsoft.Extensions.Options;
using Spectre.Console;

namespace Imv.Silo.Summary;

/// <summary>Shows the main job's figures in the terminal: a live table refreshed every second when standard output
/// is an interactive terminal, a plain line every few seconds when it is redirected (CI, a file), nothing when
/// <c>Silo:Console:Summary</c> is false.</summary>
public sealed partial class LiveSummaryService(GridSummarySource source, PlantBootstrapService bootstrap, IOptions<SummaryOptions> options,
    ILogger<LiveSummaryService> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (!o.Summary) return;
        try
        {
            await bootstrap.Completion.WaitAsync(stoppingToken).ConfigureAwait(false);
            if (o.LiveEnabled) await RunLiveAsync(o, stoppingToken).ConfigureAwait(false);
            else await RunPlainAsync(o, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogSummaryFailed(logger, e);
        }
    }

    private async Task RunPlainAsync(SummaryOptions o, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(o.PlainInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var s = await source.GetAsync().ConfigureAwait(false);
            await Console.Out.WriteLineAsync(PlainLine(s).AsMemory(), stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>One plain line for a redirected output.</summary>
    public static string PlainLine(GridSummary s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return string.Create(CultureInfo.InvariantCulture,
            $"[imv] {s.At:HH:mm:ss} twins active {s.TwinsActive}/{s.TwinsKnown}, running {s.Running}, faulted {s.Faulted}, alarms {s.ActiveAlarms}, updates/s {s.UpdatesPerSecond:0}, commands applied {s.CommandsApplied}, rejected {s.CommandsRejected}, OEE {s.Oee:P1}");
    }

    private async Task RunLiveAsync(SummaryOptions o, CancellationToken stoppingToken)
    {
        var first = await source.GetAsync().ConfigureAwait(false);
        await AnsiConsole.Live(Render(first)).AutoClear(false).StartAsync(async context =>
        {
            using var timer = new PeriodicTimer(o.RefreshInterval);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                context.UpdateTarget(Render(await source.GetAsync().ConfigureAwait(false)));
                context.Refresh();
            }
        }).ConfigureAwait(false);
    }

    private static Table Render(GridSummary s)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Imv silo[/]").AddColumn("figure").AddColumn(new TableColumn("value").RightAligned());
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        var c = CultureInfo.InvariantCulture;
        Row("twins active / known", string.Create(c, $"{s.TwinsActive:N0} / {s.TwinsKnown:N0}"));
        Row("running / faulted", string.Create(c, $"{s.Running:N0} / {s.Faulted:N0}"));
        Row("active alarms", s.ActiveAlarms.ToString("N0", c));
        Row("telemetry updates/s", s.UpdatesPerSecond.ToString("N0", c));
        Row("updates applied", s.UpdatesApplied.ToString("N0", c));
        Row("commands applied / rejected", string.Create(c, $"{s.CommandsApplied:N0} / {s.CommandsRejected:N0}"));
        Row("OEE", s.Oee.ToString("P1", c));
        Row("activations", s.Activations.ToString("N0", c));
        Row("uptime", s.Uptime.ToString(@"d\.hh\:mm\:ss", c));
        Row("data file", s.DataFile ?? "(memory)");
        Row("HTTP API", string.Join(" ", s.ApiAddresses));
        return table;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The live summary stopped")]
    private static partial void LogSummaryFailed(ILogger logger, Exception exception);
}
