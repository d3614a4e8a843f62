using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.Twins;

/// <summary>A batch of readings for one twin, as the plant event sink hands it over.</summary>
/// <param name="Updates">The readings, in any order; the twin keeps the newest per tag.</param>
/// <remarks>Immutable: the sender must not change the array after the call, so the call passes it without a copy.</remarks>
[GenerateSerializer, Immutable]
public sealed record TagBatch([property: Id(0)] TagUpdate[] Updates);

/// <summary>What became of a batch of readings. Every reading is counted exactly once.</summary>
/// <param name="Applied">Readings newer than the stored value, now the tag's value.</param>
/// <param name="Stale">Readings older than the stored value (by source timestamp, then sequence); ignored.</param>
/// <param name="Duplicate">Readings with the same source timestamp and sequence as the stored value; ignored.</param>
/// <param name="Rejected">Readings refused: a data type that does not match the tag's, or a twin already
/// at its tag limit.</param>
[GenerateSerializer]
public readonly record struct IngestResult(
    [property: Id(0)] int Applied,
    [property: Id(1)] int Stale,
    [property: Id(2)] int Duplicate,
    [property: Id(3)] int Rejected);
