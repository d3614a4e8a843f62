namespace Imv.Runtime.Streams;

/// <summary>Identifies a stream: a namespace (what kind of events) and a key (whose).</summary>
/// <param name="Namespace">The stream namespace, e.g. "telemetry".</param>
/// <param name="Key">The stream key, e.g. a twin id.</param>
public readonly record struct StreamId(string Namespace, string Key)
{
    /// <inheritdoc />
    public override string ToString() => Namespace + "/" + Key;
}
