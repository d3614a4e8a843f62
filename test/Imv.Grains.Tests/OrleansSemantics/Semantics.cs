using Imv.Grains.Interfaces.Avatars;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Tests.Support;
using Orleans.Runtime;

namespace Imv.Grains.Tests.OrleansSemantics;

/// <summary>Helpers of the tests that check the grain code against Orleans' rules.</summary>
internal static class Semantics
{
    /// <summary>Well under <see cref="Grid.ResponseTimeout"/>: a call cycle that deadlocks shows as this timeout,
    /// not as a success after Orleans' response timeout broke the cycle.</summary>
    public static readonly TimeSpan NoDeadlock = TimeSpan.FromSeconds(8);

    public static async Task<T> Within<T>(Task<T> task, string what)
    {
        var done = await Task.WhenAny(task, Task.Delay(NoDeadlock));
        Assert.True(ReferenceEquals(done, task), $"{what} did not complete within {NoDeadlock.TotalSeconds:0} s: a call cycle deadlocked");
        return await task;
    }

    public static async Task Within(Task task, string what)
    {
        var done = await Task.WhenAny(task, Task.Delay(NoDeadlock));
        Assert.True(ReferenceEquals(done, task), $"{what} did not complete within {NoDeadlock.TotalSeconds:0} s: a call cycle deadlocked");
        await task;
    }

    public static TwinConfiguration TwinConfig(string? org = null, params string[] loops) => new(
        OrganizationId: org,
        Tags: [new TagMetadata("temp", TagDataType.Double), new TagMetadata("sp", TagDataType.Double, "degC", Writable: true, Minimum: 0, Maximum: 100),
               new TagMetadata("heater", TagDataType.Double, "%", Writable: true, Minimum: 0, Maximum: 100)],
        AlarmBands: [new AlarmBand("temp", High: 80)],
        ControlLoops: loops, TriggeredLoops: loops);

    public static async Task<IMachineGrain> TwinAsync(Grid g, string id, string? org = null, params string[] loops)
    {
        var twin = g.Factory.GetGrain<IMachineGrain>(id);
        await twin.ConfigureAsync(TwinConfig(org, loops));
        await twin.DescribeAsync(new TwinDescription(id, "gw1", []));
        return twin;
    }

    public static async Task<IAvatarGrain> AvatarAsync(Grid g, string id, AvatarRole role = AvatarRole.Worker, params string[] scopes)
    {
        var avatar = g.Factory.GetGrain<IAvatarGrain>(id);
        await avatar.RegisterAsync(new AvatarRegistration(id, AvatarKind.User, role, Scopes: scopes));
        return avatar;
    }

    public static TagBatch Reading(Grid g, string tag, double value, long seq) =>
        new([new TagUpdate(tag, TagValue.FromDouble(value), TagQuality.Good, g.Clock.Now, seq)]);

    /// <summary>Every stored record's ETag (to show that reads wrote nothing).</summary>
    public static Dictionary<string, string> ETags(SharedTestStorage storage, params IAddressable[] grains)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var grain in grains)
            foreach (var state in StateNames)
                if (storage.Read(state, grain.GetGrainId()) is { } r) result[state + "/" + grain.GetGrainId()] = r.ETag;
        return result;
    }

    private static readonly string[] StateNames =
        ["machine", "machine-schema", "loop", "avatar", "organization", "wallet", "asset", "ledger", "ledger-head", "ledger-segment", "identity", "transfer"];

    public static async Task Until(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for {what}.");
            await Task.Delay(20);
        }
    }
}
