using Imv.Grains.Interfaces.Twins;

namespace Imv.Gateways.MqttJson;

/// <summary>A twin seen on the JSON telemetry topic: the topic segments that address it and the tags it
/// reported so far.</summary>
internal sealed class JsonTwin
{
    public JsonTwin(string twinId, IReadOnlyDictionary<string, string> segments)
    {
        TwinId = twinId;
        Segments = segments;
    }

    public string TwinId { get; }
    public IReadOnlyDictionary<string, string> Segments { get; }
    /// <summary>Tags and their types; replaced (never mutated) so command senders read a snapshot.</summary>
    public volatile IReadOnlyDictionary<string, TagDataType> Tags = new Dictionary<string, TagDataType>(StringComparer.Ordinal);
    public volatile bool Online;
    /// <summary>The device's status topic (its last will) said offline and no telemetry came since: commands are rejected.</summary>
    public volatile bool StatusOffline;
    /// <summary>When the status said offline.</summary>
    public DateTimeOffset StatusOfflineAt;
    /// <summary>The twin's telemetry topic (the tags' source address).</summary>
    public string? TelemetryTopic;
}
