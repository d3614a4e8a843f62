using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Imv.Grains.Tests.OrleansSemantics;

/// <summary>Orleans deep-copies arguments between grains of one silo unless their type is [Immutable]: the hot
/// telemetry batch travels without a copy, and a caller changing its mutable argument after the call cannot
/// change the grain's state.</summary>
public sealed class CopySemanticsTests
{
    [Fact]
    public async Task A_tag_batch_and_a_tag_values_array_pass_by_reference_and_a_desired_update_is_copied()
    {
        await using var g = await Grid.StartAsync(silos: 1);
        const string key = "k1";
        CopyProbeGrain.Held[key + "/batch"] = new TagBatch([new TagUpdate("t", TagValue.FromDouble(1), TagQuality.Good, g.Clock.Now, 1)]);
        var array = new[] { 1.0, 2.0 };
        CopyProbeGrain.Held[key + "/array"] = array;
        CopyProbeGrain.Held[key + "/update"] = new DesiredUpdate(new Dictionary<string, TagValue> { ["sp"] = TagValue.FromDouble(3) });
        var (batch, value, update) = await g.Factory.GetGrain<ICopyProbeGrain>("caller").CallAsync("callee", key);
        Assert.True(batch, "TagBatch is [Immutable]: passed without a copy");
        Assert.True(value, "TagValue is [Immutable]: its array passed without a copy");
        Assert.False(update, "DesiredUpdate is mutable: deep-copied");

        var copier = g.Silos[0].ServiceProvider.GetRequiredService<DeepCopier>();
        var b = (TagBatch)CopyProbeGrain.Held[key + "/batch"];
        Assert.Same(b, copier.Copy(b));
        Assert.Same(array, copier.Copy(TagValue.FromArray(array)).AsArray());
        var u = (DesiredUpdate)CopyProbeGrain.Held[key + "/update"];
        Assert.NotSame(u.Desired, copier.Copy(u).Desired);
    }

    [Fact]
    public async Task A_caller_changing_its_arguments_after_the_call_does_not_change_the_twin()
    {
        await using var g = await Grid.StartAsync(silos: 1);
        await g.Factory.GetGrain<ICopyProbeGrain>("mutator").ConfigureThenMutateAsync("cp-m1");
        var twin = g.Factory.GetGrain<IMachineGrain>("cp-m1");
        var config = (await twin.GetConfigurationAsync())!;
        Assert.Equal(["loop-a"], config.ControlLoops!);
        Assert.Equal(["sp"], config.Tags!.Select(t => t.Name));
        var shadow = await twin.GetShadowAsync();
        Assert.Equal(TagValue.FromDouble(1), shadow.Desired["sp"]);
        Assert.False(shadow.Desired.ContainsKey("injected"));
    }
}
