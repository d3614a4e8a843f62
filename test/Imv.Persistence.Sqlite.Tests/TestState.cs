namespace Imv.Persistence.Sqlite.Tests;

/// <summary>The state of the test grain and of the contract tests (serialized by Orleans' binary serializer).</summary>
[GenerateSerializer, Alias("Imv.Persistence.Sqlite.Tests.CounterState")]
public sealed class CounterState
{
    [Id(0)] public int Value { get; set; }
    [Id(1)] public string? Note { get; set; }
}
