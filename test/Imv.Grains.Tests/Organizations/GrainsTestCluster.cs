using Imv.Runtime;
using Imv.Runtime.Testing;

namespace Imv.Grains.Tests;

/// <summary>Starts a test cluster with the grain classes of Imv.Grains registered (the silo does not scan
/// referenced assemblies by itself yet).</summary>
internal static class GrainsTestCluster
{
    public static Task<TestCluster> StartAsync(TestClusterOptions? options = null)
    {
        GrainTypeRegistry.EnsureRegistered(typeof(Imv.Grains.Organizations.VirtualOrganizationGrain).Assembly);
        return TestCluster.StartAsync(options);
    }
}
