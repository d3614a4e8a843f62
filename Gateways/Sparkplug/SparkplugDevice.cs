namespace Imv.Gateways.Sparkplug;

/// <summary>What the host knows of one device of an edge node. Touched only by the gateway's consumer loop.</summary>
internal sealed class SparkplugDevice
{
    public SparkplugDevice(string name, string twinId)
    {
        Name = name;
        TwinId = twinId;
    }

    public string Name { get; }
    public string TwinId { get; }
    public bool Born { get; set; }
    public Dictionary<string, SparkplugMetricInfo> Metrics { get; set; } = new(StringComparer.Ordinal);
}
