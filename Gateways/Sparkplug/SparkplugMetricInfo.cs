namespace Imv.Gateways.Sparkplug;

/// <summary>A metric as announced in a birth: its name, type and the twin it belongs to.</summary>
/// <param name="Name">Metric name (the tag name).</param>
/// <param name="DataType">Sparkplug data type.</param>
/// <param name="TwinId">The twin that holds it.</param>
internal sealed record SparkplugMetricInfo(string Name, SparkplugDataType DataType, string TwinId);
