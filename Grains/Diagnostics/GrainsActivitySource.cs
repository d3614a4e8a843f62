using System.Diagnostics;

namespace Imv.Grains.Diagnostics;

/// <summary>The spans the twin grains start (ActivitySource "Imv.Grains"): one per ingest batch, tagged with the
/// twin id and the batch size, under the caller's trace when Orleans propagates one.</summary>
public static class GrainsActivitySource
{
    /// <summary>The source's name, for exporters.</summary>
    public const string Name = "Imv.Grains";

    /// <summary>The source.</summary>
    public static readonly ActivitySource Source = new(Name);

    /// <summary>The span name of a twin's ingest.</summary>
    public const string IngestSpan = "imv.twin.ingest";
}
