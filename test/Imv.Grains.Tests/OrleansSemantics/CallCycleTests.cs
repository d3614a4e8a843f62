using Imv.Grains.Interfaces.Avatars;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Organizations;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Tests.Support;
using static Imv.Grains.Tests.OrleansSemantics.Semantics;

namespace Imv.Grains.Tests.OrleansSemantics;

/// <summary>Every call cycle in the grain code (A calls B calls A) completes: Orleans deadlocks a cycle until the
/// response timeout unless the method called back is [AlwaysInterleave] (or [OneWay], or the caller does not await).
/// Cycles found with <c>grep GetGrain&lt;</c> in Grains/: avatar -> twin -> avatar (lease, command);
/// loop -> twin -> loop (one-way wake and measurement trigger); child organization -> parent (aggregate report)
/// while the parent calls the child (adoption, release); parent -> child -> parent during adoption (GetInfo of
/// both sides when two organizations adopt each other); supervisor -> avatar; asset/transfer -> wallet/ledger (no cycle).</summary>
public sealed class CallCycleTests
{
    [Fact]
    public async Task An_avatar_acquiring_a_lease_and_commanding_through_itself_completes_while_the_twin_asks_it_for_its_profile()
    {
        await using var g = await Grid.StartAsync();
        var twin = await TwinAsync(g, "cy-m1");
        var ann = await AvatarAsync(g, "cy-ann", AvatarRole.Worker, "cy-m1");
        // avatar.AcquireLeaseAsync -> twin.AcquireLeaseAsync -> avatar.GetProfileAsync ([AlwaysInterleave]) while the avatar waits.
        Assert.True((await Within(ann.AcquireLeaseAsync("cy-m1", TimeSpan.FromMinutes(5)), "lease through the avatar")).Granted);
        // avatar.IssueCommandAsync -> twin.SubmitCommandAsync -> avatar.GetProfileAsync.
        var r = await Within(ann.IssueCommandAsync("cy-m1", "cy-c1", "sp", null, TagValue.FromDouble(5), null, null), "command through the avatar");
        Assert.Equal(CommandDeliveryStatus.Applied, r.Status);
        // Many at once, interleaved with the avatar's own writes.
        var calls = Enumerable.Range(0, 40).Select(i => i % 4 == 3
            ? ann.OpenSessionAsync(InteractiveDevice.Hmd, "t" + i).ContinueWith(_ => CommandDeliveryStatus.Applied, TaskScheduler.Default)
            : ann.IssueCommandAsync("cy-m1", "cy-many-" + i, "sp", null, TagValue.FromDouble(i), null, null).ContinueWith(t => t.Result.Status, TaskScheduler.Default));
        var statuses = await Within(Task.WhenAll(calls), "40 concurrent commands and sessions through one avatar");
        Assert.All(statuses, s => Assert.Equal(CommandDeliveryStatus.Applied, s));
        Assert.True(await Within(ann.ReleaseLeaseAsync("cy-m1"), "release through the avatar"));
        Assert.Null(await twin.GetLeaseAsync());
    }

    [Fact]
    public async Task A_scoped_command_reads_the_organization_path_while_the_organization_takes_reports_from_the_twin()
    {
        await using var g = await Grid.StartAsync(recordStatus: false);
        var line = g.Factory.GetGrain<IVirtualOrganizationGrain>("cy-line");
        await line.InitializeAsync(OrganizationKind.Line, "L");
        var twin = await TwinAsync(g, "cy-m2", "cy-line");
        var boss = await AvatarAsync(g, "cy-boss", AvatarRole.Manager, "cy-line");
        // twin -> organization (status reports, path reads) while avatars -> twin -> avatar: all one way or interleaved.
        var work = new List<Task>();
        for (int i = 0; i < 30; i++)
        {
            work.Add(twin.IngestAsync(Reading(g, "temp", 70 + i % 20, i + 1)).AsTask());
            work.Add(boss.IssueCommandAsync("cy-m2", "cy-s" + i, "sp", null, TagValue.FromDouble(i), null, null));
        }
        await Within(Task.WhenAll(work), "commands and telemetry on a twin whose organization checks the scope");
        Assert.Equal(1, (await line.GetAggregateAsync()).MachineCount);
    }

    [Fact]
    public async Task Organizations_adopting_releasing_and_reporting_at_once_complete()
    {
        await using var g = await GrainsTestCluster.StartAsync();
        var f = g.Factory;
        var site = f.GetGrain<IVirtualOrganizationGrain>("cy-site");
        await site.InitializeAsync(OrganizationKind.Factory, "S");
        var shop = f.GetGrain<IVirtualOrganizationGrain>("cy-shop");
        await shop.InitializeAsync(OrganizationKind.Workshop, "W");
        var lines = Enumerable.Range(0, 3).Select(i => f.GetGrain<IVirtualOrganizationGrain>("cy-line-" + i)).ToArray();
        for (int i = 0; i < lines.Length; i++) await lines[i].InitializeAsync(OrganizationKind.Line, "L" + i);
        // The lines report (child -> parent ReportChildAggregateAsync) while their parents adopt and release them
        // (parent -> child AttachToParentAsync / DetachFromParentAsync / SetAncestorsAsync).
        var t0 = DateTimeOffset.UtcNow;
        var reports = Task.WhenAll(lines.Select((line, li) => Task.Run(async () =>
        {
            for (int k = 0; k < 60; k++)
                await line.ReportChildStatusAsync($"cy-m{li}-{k % 3}", new MachineStatus($"cy-m{li}-{k % 3}", MachineRunState.Running, 0,
                    TimeSpan.FromHours(1), TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(1), k, k, t0.AddTicks(k)));
        })));
        var structure = Task.Run(async () =>
        {
            for (int k = 0; k < 15; k++)
            {
                foreach (var i in Enumerable.Range(0, lines.Length)) await shop.AddChildOrganizationAsync("cy-line-" + i);
                await site.AddChildOrganizationAsync("cy-shop");
                await site.RemoveChildOrganizationAsync("cy-shop");
                await shop.RemoveChildOrganizationAsync("cy-line-" + (k % lines.Length));
            }
            await site.AddChildOrganizationAsync("cy-shop");
            foreach (var i in Enumerable.Range(0, lines.Length)) await shop.AddChildOrganizationAsync("cy-line-" + i);
        });
        await Within(Task.WhenAll(reports, structure), "adoption, release and reports at once");
        await Until(async () => (await site.GetAggregateAsync()).MachineCount == 9, TimeSpan.FromSeconds(5), "the site to count the nine machines");
        Assert.Equal(["cy-site", "cy-shop", "cy-line-0"], await lines[0].GetPathAsync());
    }

    [Fact]
    public async Task Two_organizations_adopting_each_other_at_once_complete_and_one_is_refused()
    {
        await using var g = await GrainsTestCluster.StartAsync();
        var f = g.Factory;
        var factory = f.GetGrain<IVirtualOrganizationGrain>("cy-f");
        var line = f.GetGrain<IVirtualOrganizationGrain>("cy-l");
        await factory.InitializeAsync(OrganizationKind.Factory, "F");
        await line.InitializeAsync(OrganizationKind.Line, "L");
        // factory -> line.GetInfoAsync while line -> factory.GetInfoAsync: each waits for the other's answer.
        var adopt = factory.AddChildOrganizationAsync("cy-l");
        var wrongWay = line.AddChildOrganizationAsync("cy-f");
        await Within(Task.WhenAll(adopt.ContinueWith(_ => { }, TaskScheduler.Default), wrongWay.ContinueWith(_ => { }, TaskScheduler.Default)), "mutual adoption");
        await adopt;
        await Assert.ThrowsAsync<InvalidOperationException>(() => wrongWay);
        Assert.Equal("cy-f", (await line.GetInfoAsync()).ParentId);
    }

    [Fact]
    public async Task A_control_loop_and_its_twin_calling_each_other_complete()
    {
        await using var g = await Grid.StartAsync();
        var twin = await TwinAsync(g, "cy-oven", null, "cy-loop");
        var loop = g.Factory.GetGrain<IControlLoopGrain>("cy-loop");
        await loop.ConfigureAsync(new ControlLoopConfiguration("cy-oven", "temp", "cy-oven", "heater", 50, ControlLawKind.Pid,
            TimeSpan.FromMilliseconds(50), 0, 100, SafeOutput: 0, Pid: new PidParameters(Kp: 5), StaleAfter: TimeSpan.FromHours(1)));
        await loop.EnableAsync();
        // twin.IngestAsync -> loop.OnMeasurementAsync ([OneWay], with the tag) -> twin.SubmitCommandAsync, while the
        // loop's timer calls the twin too and the test calls both.
        var work = new List<Task>();
        for (int i = 0; i < 40; i++)
        {
            work.Add(twin.IngestAsync(Reading(g, "temp", 40 + i % 7, i + 1)).AsTask());
            if (i % 5 == 0) work.Add(loop.RunOnceAsync());
        }
        await Within(Task.WhenAll(work), "telemetry triggering the loop while the loop commands the twin");
        // The twin activating (called by the loop) wakes the loop ([OneWay] WakeAsync) while the loop waits for it.
        await g.Cluster.DeactivateAsync(twin);
        var it = await Within(loop.RunOnceAsync(), "a loop iteration that activates its twin, which wakes the loop");
        Assert.NotNull(it.Measured);
        await loop.DisableAsync();
    }

    [Fact]
    public async Task Supervision_calls_between_avatars_complete_while_the_supervised_are_busy()
    {
        await using var g = await Grid.StartAsync();
        var manager = await AvatarAsync(g, "cy-mgr", AvatarRole.Manager);
        var supervisors = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => AvatarAsync(g, "cy-sup-" + i, AvatarRole.Supervisor)));
        var workers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => AvatarAsync(g, "cy-wrk-" + i, AvatarRole.Worker)));
        var work = new List<Task>();
        for (int i = 0; i < supervisors.Length; i++) work.Add(manager.SuperviseAsync("cy-sup-" + i));
        for (int i = 0; i < workers.Length; i++)
        {
            work.Add(supervisors[i % 3].SuperviseAsync("cy-wrk-" + i));
            work.Add(workers[i].OpenSessionAsync(InteractiveDevice.Hmd, "h" + i));
        }
        work.Add(manager.GetSupervisedAsync());
        await Within(Task.WhenAll(work), "supervision edges set while everyone is busy");
        var seen = await Within(manager.GetSupervisedAsync(), "the manager's view");
        Assert.Equal(3, seen.Count);
        Assert.Equal(2, (await supervisors[0].GetSupervisedAsync()).Count);
    }
}
