using Imv.Grains.Interfaces.TwinIndex;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Tests.OrleansSemantics;
using Imv.Grains.Tests.Support;
using Imv.Grains.TwinIndex;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Xunit;

namespace Imv.Grains.Tests.TwinIndex;

/// <summary>A twin status index shard stored by the first layout (one serialized entry per twin) loads, answers as it
/// did, and is stored again in the compact layout; a damaged compact form fails the activation and keeps the row.</summary>
public sealed class TwinIndexStoredLayoutTests
{
    private const string StateName = "twinIndex";
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

    private static Serializer NewSerializer(out ServiceProvider services)
    {
        services = new ServiceCollection()
            .AddSerializer(b => b.AddAssembly(typeof(TwinIndexState).Assembly).AddAssembly(typeof(TwinIndexEntry).Assembly))
            .BuildServiceProvider();
        return services.GetRequiredService<Serializer>();
    }

    [Fact]
    public async Task A_shard_stored_by_the_first_layout_answers_as_before_and_is_stored_compactly()
    {
        var storage = new SharedTestStorage();
        var serializer = NewSerializer(out var services);
        await using var _ = services;
        var key = TwinStatusIndex.ShardKey("line-1", "m1");
        // As the first layout stored it: entries one by one (here out of order, one twin twice), no packed form.
        var legacy = new TwinIndexState
        {
            Cataloged = true,
            Entries =
            [
                new("m3", TwinKind.Equipment, "line-1", "simulator", MachineRunState.Faulted, 2, T0),
                new("m1", TwinKind.Material, "line-1", "simulator", MachineRunState.Idle, 0, T0),
                new("m1", TwinKind.Material, "line-1", "simulator", MachineRunState.Running, 0, T0.AddSeconds(5), T0.AddHours(1)),
                new("m2", TwinKind.Equipment, "line-1", null, MachineRunState.Offline, 0, T0),
            ],
        };
        await using var g = await Grid.StartAsync(silos: 1, storage: storage);
        var shard = g.Factory.GetGrain<ITwinStatusIndexGrain>(key);
        storage.Write(StateName, shard.GetGrainId(), serializer.SerializeToArray(legacy), null);

        var page = await shard.QueryAsync(new TwinIndexQuery(null, null, null, 10, Now: T0.AddMinutes(1)));
        Assert.Equal(["m1", "m2", "m3"], page.First.Select(e => e.TwinId));
        Assert.Equal(legacy.Entries[2], page.First[0]);
        Assert.Equal(2, (await shard.QueryAsync(new TwinIndexQuery(null, null, true, 10, WeighByAlarms: true))).Weight);

        // Migrated on read: stored again in the compact layout within a second (a place write), the entries gone.
        TwinIndexState Stored() => serializer.Deserialize<TwinIndexState>(storage.Read(StateName, shard.GetGrainId())!.Data)!;
        await Semantics.Until(() => Task.FromResult(Stored().Packed is not null), TimeSpan.FromSeconds(20), "the shard stored in the compact layout");
        var stored = Stored();
        Assert.Null(stored.Entries);
        Assert.True(stored.Cataloged);
        Assert.Equal(page.First, TwinStatusIndexBook.Unpack(stored.Packed!).Entries());

        // And read back from it by the next activation.
        await g.RestartAllSilosAsync();
        var again = await g.Factory.GetGrain<ITwinStatusIndexGrain>(key).QueryAsync(new TwinIndexQuery(null, null, null, 10, Now: T0.AddMinutes(1)));
        Assert.Equal(page.First, again.First);
    }

    [Fact]
    public async Task A_damaged_compact_form_fails_the_activation_naming_the_shard_and_keeps_the_row()
    {
        var storage = new SharedTestStorage();
        var serializer = NewSerializer(out var services);
        await using var _ = services;
        await using var g = await Grid.StartAsync(silos: 1, storage: storage);
        var key = TwinStatusIndex.ShardKey("line-2", "m1");
        var shard = g.Factory.GetGrain<ITwinStatusIndexGrain>(key);
        var book = new TwinStatusIndexBook();
        book.Apply(new TwinIndexEntry("m1", TwinKind.Equipment, "line-2", "gw", MachineRunState.Running, 0, T0));
        var packed = book.Pack();
        var written = serializer.SerializeToArray(new TwinIndexState { Cataloged = true, Packed = packed[..^2] });
        storage.Write(StateName, shard.GetGrainId(), written, null);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => shard.QueryAsync(new TwinIndexQuery(null, null, null, 10)));
        Assert.Contains(key, error.ToString(), StringComparison.Ordinal);
        Assert.Contains("damaged", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(written, storage.Read(StateName, shard.GetGrainId())!.Data);
    }
}
