using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Machines;
using Xunit;

namespace Imv.Grains.Tests.Machines;

public class ShadowAndStatusTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static void Feed(TagTable t, string tag, TagValue v, int sec)
    {
        List<AlarmEvent>? ev = null;
        t.Ingest([new TagUpdate(tag, v, TagQuality.Good, T0.AddSeconds(sec), 0)], T0.AddSeconds(sec), "m1", ref ev);
    }

    [Fact]
    public void Shadow_delta_and_version()
    {
        var t = new TagTable();
        var s = new ShadowState();
        Feed(t, "speed", TagValue.FromDouble(10), 1);
        Assert.True(s.Apply(new DesiredUpdate(new Dictionary<string, TagValue> { ["speed"] = TagValue.FromInteger(12), ["mode"] = TagValue.FromString("auto") })));
        Assert.Equal(1, s.Version);
        var doc = s.Build(t);
        Assert.Equal(2, doc.Delta.Count);
        Assert.Equal(TagValue.FromDouble(10), doc.Reported["speed"]);
        Feed(t, "speed", TagValue.FromDouble(12), 2);
        doc = s.Build(t);
        Assert.Equal(["mode"], doc.Delta.Keys);
        Assert.False(s.Apply(new DesiredUpdate(new Dictionary<string, TagValue> { ["mode"] = TagValue.None }, ExpectedVersion: 0)));
        Assert.True(s.Apply(new DesiredUpdate(new Dictionary<string, TagValue> { ["mode"] = TagValue.None }, ExpectedVersion: 1)));
        Assert.Equal(2, s.Version);
        Assert.Empty(s.Build(t).Delta);
    }

    [Fact]
    public void Status_tracks_run_state_and_oee_inputs()
    {
        var t = new TagTable();
        t.Describe([new TagMetadata("temp", TagDataType.Double)], null);
        t.SetBands([new AlarmBand("temp", HighHigh: 100)]);
        var map = new StatusMapping("running", "fault", "total", "good", TimeSpan.FromSeconds(2));
        var st = new StatusTracker();
        Feed(t, "running", TagValue.FromBoolean(false), 0);
        Feed(t, "total", TagValue.FromInteger(100), 0);
        Feed(t, "good", TagValue.FromInteger(90), 0);
        st.Observe(t, map, TwinConnectivity.Online, T0);
        Assert.Equal(MachineRunState.Idle, st.Build("m1", t, map, TwinConnectivity.Online, T0).State);
        Feed(t, "running", TagValue.FromBoolean(true), 10);
        st.Observe(t, map, TwinConnectivity.Online, T0.AddSeconds(10));
        Feed(t, "total", TagValue.FromInteger(110), 30);
        Feed(t, "good", TagValue.FromInteger(99), 30);
        st.Observe(t, map, TwinConnectivity.Online, T0.AddSeconds(30));
        var s = st.Build("m1", t, map, TwinConnectivity.Online, T0.AddSeconds(40));
        Assert.Equal(MachineRunState.Running, s.State);
        Assert.Equal(TimeSpan.FromSeconds(40), s.PlannedTime);
        Assert.Equal(TimeSpan.FromSeconds(30), s.RunTime);
        Assert.Equal(10, s.TotalCount);
        Assert.Equal(9, s.GoodCount);
        Assert.Equal(TimeSpan.FromSeconds(2), s.IdealCycleTime);
        Feed(t, "temp", TagValue.FromDouble(120), 41);
        s = st.Build("m1", t, map, TwinConnectivity.Online, T0.AddSeconds(41));
        Assert.Equal(MachineRunState.Faulted, s.State);
        Assert.Equal(1, s.ActiveAlarms);
        Assert.True(st.ShouldPush(s, T0.AddSeconds(41), TimeSpan.FromSeconds(10)));
        st.MarkPushed(s, T0.AddSeconds(41));
        Assert.False(st.ShouldPush(s, T0.AddSeconds(42), TimeSpan.FromSeconds(10)));
        Assert.Equal(MachineRunState.Offline, st.Build("m1", t, map, TwinConnectivity.Offline, T0.AddSeconds(42)).State);
        st.ResetWindow(t, map, T0.AddSeconds(50));
        s = st.Build("m1", t, map, TwinConnectivity.Online, T0.AddSeconds(60));
        Assert.Equal(TimeSpan.FromSeconds(10), s.PlannedTime);
        Assert.Equal(0, s.TotalCount);
    }
}
