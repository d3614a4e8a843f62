using Imv.Grains.Tests.Support;

namespace Imv.Grains.Tests;

/// <summary>Starts a two-silo Orleans test cluster for the grains that need no twin doubles (organizations, identity,
/// assets): twins, if any, report to their organization grains themselves.</summary>
internal static class GrainsTestCluster
{
    public static Task<Grid> StartAsync(SharedTestStorage? storage = null, int silos = 2) =>
        Grid.StartAsync(silos, storage, recordStatus: false);
}
