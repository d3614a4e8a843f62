using Imv.Grains.Interfaces.Organizations;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Machines;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.Organizations;

/// <summary>The <see cref="IMachineStatusPublisher"/> the silo registers: a machine twin's status goes to
/// <see cref="IVirtualOrganizationGrain.ReportChildStatusAsync"/> of its organization.</summary>
public sealed class OrganizationStatusPublisher : IMachineStatusPublisher
{
    /// <inheritdoc />
    public Task PublishAsync(IGrainFactory grainFactory, string organizationId, MachineStatus status)
    {
        ArgumentNullException.ThrowIfNull(grainFactory);
        ArgumentNullException.ThrowIfNull(status);
        return grainFactory.GetGrain<IVirtualOrganizationGrain>(organizationId).ReportChildStatusAsync(status.MachineId, status);
    }
}
