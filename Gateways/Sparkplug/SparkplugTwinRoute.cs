namespace Imv.Gateways.Sparkplug;

/// <summary>Where commands for a twin go: the node (and device) and the metrics announced at birth.
/// Immutable; replaced at every birth so command senders on other threads read a consistent snapshot.</summary>
internal sealed record SparkplugTwinRoute(string Group, string Edge, string? Device, IReadOnlyDictionary<string, SparkplugMetricInfo> Metrics, bool Online);
