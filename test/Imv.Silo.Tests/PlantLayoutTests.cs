using Imv.Gateways.Simulation;
using Imv.Silo.Plant;
using Imv.Silo.Summary;

namespace Imv.Silo.Tests;

public sealed class PlantLayoutTests
{
    [Theory]
    [InlineData(0.1, 100)]
    [InlineData(0, 0)]
    [InlineData(1, 1000)]
    [InlineData(0.25, 250)]
    public void Control_loops_go_to_the_configured_share_of_machines_spread_evenly(double share, int expected)
    {
        var layout = PlantLayout.From(SimulatedTopology.From(new SimulatorOptions()), new PlantOptions { ControlLoopShare = share });
        Assert.Equal(expected, layout.LoopsByMachine.Count);
        if (share == 0.1)
        {
            // Every tenth machine: the tenth of each line of 50.
            Assert.Contains("site-1.line-01.machine-010", layout.LoopsByMachine.Keys);
            Assert.Equal("loop.site-1.line-01.machine-010.temperature", layout.LoopsByMachine["site-1.line-01.machine-010"]);
            Assert.DoesNotContain("site-1.line-01.machine-001", layout.LoopsByMachine.Keys);
        }
    }

    [Fact]
    public void Avatars_are_a_manager_a_supervisor_per_site_and_workers_per_line()
    {
        var layout = PlantLayout.From(SimulatedTopology.From(new SimulatorOptions()), new PlantOptions { WorkersPerLine = 2 });
        Assert.Equal(1 + 2 + 2 * 10 * 2, layout.Avatars.Count);
        var manager = layout.Avatars[0];
        Assert.Equal(PlantLayout.ManagerId, manager.AvatarId);
        Assert.Equal(["enterprise"], manager.Scopes);
        Assert.Equal(["site-2"], layout.Avatars.Single(a => a.AvatarId == "supervisor.site-2").Scopes);
        var worker = layout.Avatars.Single(a => a.AvatarId == "worker.site-2.line-03.2");
        Assert.Equal("supervisor.site-2", worker.SupervisorId);
        Assert.Equal(["site-2.line-03"], worker.Scopes);
    }

    [Theory]
    [InlineData("ControlLoopShare", 1.5)]
    [InlineData("ControlLoopSetpoint", 900)]
    [InlineData("TemperatureHigh", 500)]
    [InlineData("WorkersPerLine", -1)]
    public void Invalid_settings_name_their_key(string key, double value)
    {
        var options = new PlantOptions();
        typeof(PlantOptions).GetProperty(key)!.SetValue(options, key == "WorkersPerLine" ? (object)(int)value : value);
        var error = Assert.Throws<ArgumentException>(options.ThrowIfInvalid);
        Assert.Contains("Plant:" + key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_plain_summary_line_has_the_figures()
    {
        var line = LiveSummaryService.PlainLine(new GridSummary(DateTimeOffset.UnixEpoch, TimeSpan.FromMinutes(1), 1000, 998, 900, 3, 7, 0.55, 16000, 1, 42, 2, 1200, "/data/imv.db", ["http://127.0.0.1:5080"]));
        Assert.Equal("[imv] 00:00:00 twins active 998/1000, running 900, faulted 3, alarms 7, updates/s 16000, commands applied 42, rejected 2, OEE 55.0 %", line);
    }
}
