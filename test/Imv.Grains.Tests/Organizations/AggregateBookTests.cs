using Imv.Grains.Interfaces.Organizations;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Organizations;
using Xunit;

namespace Imv.Grains.Tests.Organizations;

public sealed class AggregateBookTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static MachineStatus RandomStatus(Random rng, string id, int tick)
    {
        var planned = TimeSpan.FromSeconds(rng.Next(1, 3600));
        var run = planned * rng.NextDouble();
        var total = rng.Next(0, 5000);
        return new MachineStatus(id, (MachineRunState)rng.Next(0, 5), rng.Next(0, 4), planned, run,
            TimeSpan.FromMilliseconds(rng.Next(100, 2000)), total, rng.Next(0, total + 1), T0.AddSeconds(tick));
    }

    [Fact]
    public void Aggregates_equal_sum_over_children_after_random_changes()
    {
        var rng = new Random(12345);
        // enterprise <- 2 factories <- 3 lines each; machines report to lines.
        var enterprise = new AggregateBook(new OrganizationState());
        var factories = Enumerable.Range(0, 2).Select(_ => new AggregateBook(new OrganizationState())).ToArray();
        var lines = Enumerable.Range(0, 6).Select(_ => new AggregateBook(new OrganizationState())).ToArray();
        var versions = new long[8];
        for (var f = 0; f < 2; f++) enterprise.AddChild($"f{f}", factories[f].Total, 0);
        for (var l = 0; l < 6; l++) factories[l / 3].AddChild($"l{l}", lines[l].Total, 0);

        var lastStatus = new Dictionary<string, MachineStatus?>();
        void Push(int line)
        {
            var f = line / 3;
            if (factories[f].ApplyChild($"l{line}", lines[line].Total, ++versions[line]))
                enterprise.ApplyChild($"f{f}", factories[f].Total, ++versions[6 + f]);
        }

        for (var step = 0; step < 5000; step++)
        {
            var line = rng.Next(6);
            var machine = $"m{line}-{rng.Next(12)}";
            switch (rng.Next(10))
            {
                case 0:
                    if (lines[line].DetachMachine(machine)) lastStatus.Remove(machine);
                    break;
                case 1:
                    if (lines[line].AttachMachine(machine)) lastStatus[machine] = null;
                    break;
                default:
                    var status = RandomStatus(rng, machine, step);
                    lines[line].ApplyMachine(machine, status);
                    lastStatus[machine] = status;
                    break;
            }
            Push(line);
        }

        foreach (var book in lines.Concat(factories).Append(enterprise))
            Assert.Equal(book.Recompute(), book.Total);
        for (var f = 0; f < 2; f++)
            Assert.Equal(lines.Skip(3 * f).Take(3).Aggregate(OrganizationAggregate.Empty, (a, b) => a + b.Total), factories[f].Total);
        Assert.Equal(factories[0].Total + factories[1].Total, enterprise.Total);

        var expected = lastStatus.Values.Aggregate(OrganizationAggregate.Empty,
            (sum, s) => sum + (s is null ? OrganizationAggregate.UnknownMachine : OrganizationAggregate.FromMachine(s)));
        Assert.Equal(expected, enterprise.Total);
        Assert.Equal(lastStatus.Count, enterprise.Total.MachineCount);
        var t = enterprise.Total;
        Assert.Equal(t.MachineCount, t.Running + t.Idle + t.Faulted + t.Offline + t.Unknown);
    }

    [Fact]
    public void Stale_reports_are_ignored()
    {
        var book = new AggregateBook(new OrganizationState());
        var newer = new MachineStatus("m", MachineRunState.Faulted, 2, TimeSpan.FromHours(1), TimeSpan.FromMinutes(30), TimeSpan.FromSeconds(1), 100, 90, T0.AddSeconds(10));
        var older = newer with { State = MachineRunState.Running, ActiveAlarms = 0, ReportedAt = T0 };
        Assert.True(book.ApplyMachine("m", newer));
        Assert.False(book.ApplyMachine("m", older));
        Assert.Equal(1, book.Total.Faulted);
        Assert.Equal(2, book.Total.ActiveAlarms);

        book.AddChild("c", OrganizationAggregate.UnknownMachine, 5);
        Assert.False(book.ApplyChild("c", OrganizationAggregate.Empty, 4));
        Assert.False(book.ApplyChild("c", OrganizationAggregate.Empty, 5));
        Assert.True(book.ApplyChild("c", OrganizationAggregate.Empty, 6));
        Assert.False(book.ApplyChild("stranger", OrganizationAggregate.UnknownMachine, 100));
        Assert.Equal(1, book.Total.MachineCount);
    }

    [Fact]
    public void Oee_is_availability_times_performance_times_quality_over_sums()
    {
        // Machine A: planned 100 min, ran 80, ideal 1 s/part, 4,000 parts, 3,800 good.
        var a = new MachineStatus("a", MachineRunState.Running, 0, TimeSpan.FromMinutes(100), TimeSpan.FromMinutes(80), TimeSpan.FromSeconds(1), 4000, 3800, T0);
        var single = OrganizationAggregate.FromMachine(a);
        Assert.Equal(0.8, single.Availability, 10);
        Assert.Equal(4000.0 / 4800, single.Performance, 10);
        Assert.Equal(0.95, single.Quality, 10);
        Assert.Equal(0.8 * (4000.0 / 4800) * 0.95, single.Oee, 10);

        // Machine B: planned 100 min, ran 50, ideal 2 s/part, 1,000 parts, 1,000 good.
        var b = new MachineStatus("b", MachineRunState.Idle, 1, TimeSpan.FromMinutes(100), TimeSpan.FromMinutes(50), TimeSpan.FromSeconds(2), 1000, 1000, T0);
        var both = OrganizationAggregate.FromMachine(a) + OrganizationAggregate.FromMachine(b);
        Assert.Equal(130.0 / 200, both.Availability, 10);
        Assert.Equal(6000.0 / 7800, both.Performance, 10);
        Assert.Equal(4800.0 / 5000, both.Quality, 10);
        Assert.Equal(0, OrganizationAggregate.Empty.Oee);
    }
}
