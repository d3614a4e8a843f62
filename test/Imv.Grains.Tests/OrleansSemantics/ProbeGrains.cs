using System.Collections.Concurrent;
using Imv.Grains.Interfaces.Twins;
using Orleans.Concurrency;
using Orleans.Placement;

namespace Imv.Grains.Tests.OrleansSemantics;

/// <summary>Test grains that call other grains from inside the silo, where Orleans passes arguments by deep copy
/// (or by reference for [Immutable] types).</summary>
public interface ICopyProbeGrain : IGrainWithStringKey
{
    /// <summary>Whether the argument arrived as the very instance the caller holds under <paramref name="key"/>.</summary>
    Task<bool> SameBatchAsync(string key, TagBatch batch);
    Task<bool> SameValueArrayAsync(string key, TagValue value);
    Task<bool> SameUpdateAsync(string key, DesiredUpdate update);

    /// <summary>Calls <paramref name="target"/> with the argument held under <paramref name="key"/>.</summary>
    Task<(bool Batch, bool Value, bool Update)> CallAsync(string target, string key);

    /// <summary>Configures a twin with a mutable list and sets its desired state with a mutable dictionary, then
    /// changes both after the calls returned.</summary>
    Task ConfigureThenMutateAsync(string twinId);
}

[PreferLocalPlacement]
public sealed class CopyProbeGrain : Grain, ICopyProbeGrain
{
    public static readonly ConcurrentDictionary<string, object> Held = new(StringComparer.Ordinal);

    public Task<bool> SameBatchAsync(string key, TagBatch batch) => Task.FromResult(ReferenceEquals(Held[key + "/batch"], batch));

    public Task<bool> SameValueArrayAsync(string key, TagValue value) => Task.FromResult(ReferenceEquals(Held[key + "/array"], value.AsArray()));

    public Task<bool> SameUpdateAsync(string key, DesiredUpdate update) => Task.FromResult(ReferenceEquals(Held[key + "/update"], update));

    public async Task<(bool Batch, bool Value, bool Update)> CallAsync(string target, string key)
    {
        var other = GrainFactory.GetGrain<ICopyProbeGrain>(target);
        var array = (double[])Held[key + "/array"];
        return (await other.SameBatchAsync(key, (TagBatch)Held[key + "/batch"]),
            await other.SameValueArrayAsync(key, TagValue.FromArray(array)),
            await other.SameUpdateAsync(key, (DesiredUpdate)Held[key + "/update"]));
    }

    public async Task ConfigureThenMutateAsync(string twinId)
    {
        var twin = GrainFactory.GetGrain<IMachineGrain>(twinId);
        var loops = new List<string> { "loop-a" };
        var tags = new List<TagMetadata> { new("sp", TagDataType.Double, Writable: true) };
        await twin.ConfigureAsync(new TwinConfiguration(Tags: tags, ControlLoops: loops));
        loops.Add("loop-injected");
        tags.Add(new TagMetadata("injected", TagDataType.Double));
        var desired = new Dictionary<string, TagValue> { ["sp"] = TagValue.FromDouble(1) };
        await twin.SetDesiredAsync(new DesiredUpdate(desired));
        desired["sp"] = TagValue.FromDouble(666);
        desired["injected"] = TagValue.FromDouble(1);
    }
}
