using System.Collections.Concurrent;
using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Imv.Grains.Tests.Machines;

/// <summary>Issue 13 points 7 and 9: staleness bounds computed at read time, restored twins not Good until fresh
/// data arrives, loops logging once per transition, command log lines carrying values as values.</summary>
public class StalenessTests
{
    private static TagUpdate D(Grid g, string tag, double v, long seq) => new(tag, TagValue.FromDouble(v), TagQuality.Good, g.Clock.Now, seq);
    private static TagUpdate B(Grid g, string tag, bool v, long seq) => new(tag, TagValue.FromBoolean(v), TagQuality.Good, g.Clock.Now, seq);

    [Fact]
    public void Bounds_come_from_the_tag_else_the_twin_and_zero_never_goes_stale()
    {
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var t = new Imv.Grains.Machines.TagTable();
        t.Describe([new TagMetadata("own", TagDataType.Double, ExpectedPeriod: TimeSpan.FromSeconds(2)),
                    new TagMetadata("twin", TagDataType.Double),
                    new TagMetadata("never", TagDataType.Double, ExpectedPeriod: TimeSpan.Zero),
                    new TagMetadata("unread", TagDataType.Double)], null);
        List<AlarmEvent>? events = null;
        t.Ingest([new TagUpdate("own", TagValue.FromDouble(1), TagQuality.Good, t0, 1), new TagUpdate("twin", TagValue.FromDouble(1), TagQuality.Good, t0, 1),
                  new TagUpdate("never", TagValue.FromDouble(1), TagQuality.Good, t0, 1)], t0, "x", ref events);
        var bound = TimeSpan.FromSeconds(10);
        Assert.False(t.IsStale(0, t0.AddSeconds(2), bound));
        Assert.True(t.IsStale(0, t0.AddSeconds(3), bound));
        Assert.Equal(TagQuality.Uncertain, t.EffectiveQuality(0, t0.AddSeconds(3), bound));
        Assert.False(t.IsStale(1, t0.AddSeconds(10), bound));
        Assert.True(t.IsStale(1, t0.AddSeconds(11), bound));
        Assert.True(t.Snapshot(1, t0.AddSeconds(11), bound).Stale);
        Assert.False(t.IsStale(1, t0.AddDays(1), TimeSpan.Zero));
        Assert.False(t.IsStale(2, t0.AddDays(1), bound));
        Assert.False(t.IsStale(3, t0.AddDays(1), bound));    // never read: no data, not stale
        Assert.False(t.AllStale(t0.AddDays(1), bound));       // "never" keeps the twin fresh
        Assert.False(t.AllStale(t0.AddSeconds(1), bound));
    }

    [Fact]
    public async Task A_tag_past_its_bound_reads_uncertain_and_a_twin_with_every_tag_stale_is_stale_and_not_running()
    {
        await using var g = await Grid.StartAsync(silos: 1);
        var twin = g.Factory.GetGrain<IMachineGrain>("stale-1");
        await twin.ConfigureAsync(new TwinConfiguration(OrganizationId: "line-1",
            Tags: [new TagMetadata("fast", TagDataType.Double, ExpectedPeriod: TimeSpan.FromSeconds(2)), new TagMetadata("temp", TagDataType.Double)],
            Status: new StatusMapping(RunningTag: "running")));
        await twin.IngestAsync(new TagBatch([D(g, "fast", 1, 1), D(g, "temp", 20, 1), B(g, "running", true, 1)]));

        g.Clock.Advance(TimeSpan.FromSeconds(3));
        var snap = await twin.GetSnapshotAsync();
        var fast = snap.Tags.Single(t => t.Name == "fast");
        Assert.True(fast.Stale);
        Assert.Equal(TagQuality.Uncertain, fast.Quality);
        Assert.Equal(TagQuality.Good, snap.Tags.Single(t => t.Name == "temp").Quality);
        Assert.Equal(TwinConnectivity.Online, snap.Connectivity);
        Assert.Equal(MachineRunState.Running, snap.Status.State);

        // Past the default bound (60 s): every tag is stale.
        g.Clock.Advance(TwinConfiguration.DefaultStaleAfter);
        snap = await twin.GetSnapshotAsync();
        Assert.All(snap.Tags, t => Assert.True(t.Stale && t.Quality == TagQuality.Uncertain, t.Name));
        Assert.Equal(TwinConnectivity.Stale, snap.Connectivity);
        Assert.Equal(MachineRunState.Unknown, snap.Status.State);
        Assert.Equal(MachineRunState.Unknown, (await twin.GetStatusAsync()).State);
        Assert.True((await twin.GetTagAsync("temp"))!.Stale);

        // One fresh reading: the twin is live again (the other tags stay stale).
        await twin.IngestAsync(new TagBatch([D(g, "temp", 21, 2)]));
        snap = await twin.GetSnapshotAsync();
        Assert.Equal(TwinConnectivity.Online, snap.Connectivity);
        Assert.Equal(TagQuality.Good, snap.Tags.Single(t => t.Name == "temp").Quality);
        Assert.True(snap.Tags.Single(t => t.Name == "running").Stale);
        Assert.Equal(MachineRunState.Running, snap.Status.State);

        // A bound per twin.
        var other = g.Factory.GetGrain<IMachineGrain>("stale-2");
        await other.ConfigureAsync(new TwinConfiguration(StaleAfter: TimeSpan.FromSeconds(10)));
        await other.IngestAsync(new TagBatch([D(g, "temp", 20, 1)]));
        g.Clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(TwinConnectivity.Online, (await other.GetSnapshotAsync()).Connectivity);
        g.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TwinConnectivity.Stale, (await other.GetSnapshotAsync()).Connectivity);
        // Zero: never stale.
        await other.ConfigureAsync(new TwinConfiguration(StaleAfter: TimeSpan.Zero));
        g.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(TwinConnectivity.Online, (await other.GetSnapshotAsync()).Connectivity);
        Assert.Equal(TagQuality.Good, (await other.GetTagAsync("temp"))!.Quality);
    }

    [Fact]
    public async Task A_twin_restored_from_storage_is_not_good_until_fresh_data_arrives_in_this_activation()
    {
        await using var g = await Grid.StartAsync(silos: 1);
        var twin = g.Factory.GetGrain<IMachineGrain>("restored-1");
        await twin.ConfigureAsync(new TwinConfiguration(StaleAfter: TimeSpan.Zero, Status: new StatusMapping(RunningTag: "running")));
        await twin.IngestAsync(new TagBatch([D(g, "temp", 20, 1), D(g, "speed", 5, 1), B(g, "running", true, 1)]));
        var before = await twin.GetSnapshotAsync();
        Assert.All(before.Tags, t => Assert.Equal(TagQuality.Good, t.Quality));
        Assert.Equal(MachineRunState.Running, before.Status.State);

        await g.RestartOwnerOfAsync(twin);   // same clock: the restored values are not older than any bound

        var after = await twin.GetSnapshotAsync();
        Assert.Equal(before.Tags.Select(t => (t.Name, t.Value)), after.Tags.Select(t => (t.Name, t.Value)));
        Assert.All(after.Tags, t => Assert.Equal(TagQuality.Uncertain, t.Quality));
        Assert.Equal(TwinConnectivity.Reconnecting, after.Connectivity);
        Assert.Equal(MachineRunState.Unknown, after.Status.State);

        await twin.IngestAsync(new TagBatch([D(g, "temp", 21, 2)]));
        after = await twin.GetSnapshotAsync();
        Assert.Equal(TagQuality.Good, after.Tags.Single(t => t.Name == "temp").Quality);
        Assert.Equal(TagQuality.Uncertain, after.Tags.Single(t => t.Name == "speed").Quality);
        Assert.Equal(TwinConnectivity.Online, after.Connectivity);

        // The gateway says it cannot connect: Bad.
        await twin.SetConnectivityAsync(TwinConnectivity.Offline, "cannot connect");
        Assert.All((await twin.GetSnapshotAsync()).Tags, t => Assert.Equal(TagQuality.Bad, t.Quality));
    }

    [Fact]
    public async Task A_loop_facing_a_stale_input_logs_once_per_transition_and_command_lines_carry_values()
    {
        var logs = new CapturingLoggerProvider();
        await using var g = await Grid.StartAsync(silos: 1, configure: silo =>
        {
            silo.Services.AddSingleton<ILoggerProvider>(logs);
            // Control-loop commands are logged at Debug: let this provider (only) see them.
            silo.Services.Configure<LoggerFilterOptions>(o => o.Rules.Add(new LoggerFilterRule(typeof(CapturingLoggerProvider).FullName, null, LogLevel.Debug, null)));
        });
        var twin = g.Factory.GetGrain<IMachineGrain>("oven-s");
        await twin.ConfigureAsync(new TwinConfiguration(
            Tags: [new TagMetadata("temp", TagDataType.Double), new TagMetadata("heater", TagDataType.Double, Writable: true, Minimum: 0, Maximum: 100)],
            ControlLoops: ["loop-s"]));
        await twin.DescribeAsync(new TwinDescription("oven-s", "gw1", []));
        var loop = g.Factory.GetGrain<IControlLoopGrain>("loop-s");
        await loop.ConfigureAsync(new ControlLoopConfiguration("oven-s", "temp", "oven-s", "heater", 50, ControlLawKind.Pid,
            TimeSpan.FromSeconds(1), 0, 100, SafeOutput: 0, Pid: new PidParameters(Kp: 5)));
        long seq = 0;
        async Task FreshAsync() => await twin.IngestAsync(new TagBatch([D(g, "temp", 45, ++seq)]));
        async Task RunAsync(int times, bool stale)
        {
            for (int i = 0; i < times; i++)
            {
                if (!stale) await FreshAsync();
                g.Clock.Advance(TimeSpan.FromSeconds(stale ? 5 : 1));
                Assert.Equal(stale, (await loop.RunOnceAsync()).Safe);
            }
        }

        await RunAsync(3, stale: false);
        await RunAsync(10, stale: true);
        await RunAsync(3, stale: false);
        await RunAsync(10, stale: true);

        var lines = logs.Lines.Where(l => l.Category.EndsWith("ControlLoopGrain", StringComparison.Ordinal)).Select(l => l.Message).ToList();
        Assert.Equal(2, lines.Count(l => l.Contains("went to its safe output", StringComparison.Ordinal)));
        Assert.Equal(1, lines.Count(l => l.Contains("left its safe output", StringComparison.Ordinal)));
        Assert.DoesNotContain(lines, l => l.Contains("at safe output", StringComparison.Ordinal));

        // The loop's commands are logged with their value as a number (structured), not null.
        var command = logs.Lines.First(l => l.Message.StartsWith("Command loop-s-", StringComparison.Ordinal));
        Assert.IsType<double>(command.Values["Value"]);
        Assert.Contains("(write heater = 25) Issued", command.Message, StringComparison.Ordinal);
    }

    /// <summary>Keeps every log line (message, category, structured values), at every level.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Values)> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose() { }

        private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var values = new Dictionary<string, object?>(StringComparer.Ordinal);
                if (state is IReadOnlyList<KeyValuePair<string, object?>> pairs) foreach (var (k, v) in pairs) values[k] = v;
                owner.Lines.Enqueue((category, logLevel, formatter(state, exception), values));
            }
        }
    }
}
