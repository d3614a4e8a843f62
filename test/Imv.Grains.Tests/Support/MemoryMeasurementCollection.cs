namespace Imv.Grains.Tests.Support;

/// <summary>Tests that measure the managed heap with GC.GetTotalMemory run alone: other tests allocating in
/// the same process at the same time would be counted as theirs.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurementCollection
{
    public const string Name = "memory measurement";
}
