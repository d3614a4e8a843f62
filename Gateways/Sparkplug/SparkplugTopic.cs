namespace Imv.Gateways.Sparkplug;

/// <summary>A parsed Sparkplug topic: spBv1.0/{group}/{type}/{edge}[/{device}], or spBv1.0/STATE/{host}.</summary>
/// <param name="Group">Group id (empty for STATE).</param>
/// <param name="MessageType">NBIRTH, DDATA, STATE, ...</param>
/// <param name="EdgeNode">Edge node id (the host id for STATE).</param>
/// <param name="Device">Device id, or null for node messages.</param>
public readonly record struct SparkplugTopic(string Group, string MessageType, string EdgeNode, string? Device)
{
    /// <summary>The namespace prefix.</summary>
    public const string Namespace = "spBv1.0";

    /// <summary>Parses a topic; false when it is not a Sparkplug B topic or is malformed.</summary>
    public static bool TryParse(string topic, out SparkplugTopic result)
    {
        result = default;
        var parts = topic.Split('/');
        if (parts.Length < 3 || parts[0] != Namespace) return false;
        if (parts[1] == "STATE")
        {
            if (parts.Length != 3 || parts[2].Length == 0) return false;
            result = new SparkplugTopic("", "STATE", parts[2], null);
            return true;
        }
        if (parts.Length is < 4 or > 5 || parts.Any(p => p.Length == 0)) return false;
        var type = parts[2];
        var isDevice = type is "DBIRTH" or "DDATA" or "DDEATH" or "DCMD";
        var isNode = type is "NBIRTH" or "NDATA" or "NDEATH" or "NCMD";
        if (!isDevice && !isNode) return false;
        if (isDevice != (parts.Length == 5)) return false;
        result = new SparkplugTopic(parts[1], type, parts[3], isDevice ? parts[4] : null);
        return true;
    }

    /// <summary>The topic text.</summary>
    public override string ToString() => MessageType == "STATE"
        ? $"{Namespace}/STATE/{EdgeNode}"
        : Device is null ? $"{Namespace}/{Group}/{MessageType}/{EdgeNode}" : $"{Namespace}/{Group}/{MessageType}/{EdgeNode}/{Device}";
}
