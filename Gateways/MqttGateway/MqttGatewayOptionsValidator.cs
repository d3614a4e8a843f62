using Imv.Gateways.MqttJson;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Gateways.MqttGateway;

/// <summary>Checks <c>Gateways:Mqtt</c> and names every wrong key with its value.</summary>
public static class MqttGatewayOptionsValidator
{
    /// <summary>All problems, one line each; empty when the configuration is valid.</summary>
    /// <param name="connections">The connection list.</param>
    /// <param name="checkFiles">Check that the files named (TLS certificates and keys) exist; false to judge a
    /// configuration meant for another machine.</param>
    public static IReadOnlyList<string> Validate(IReadOnlyList<MqttGatewayOptions> connections, bool checkFiles = true)
    {
        ArgumentNullException.ThrowIfNull(connections);
        var errors = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < connections.Count; i++)
        {
            var o = connections[i];
            var key = $"{MqttGatewayOptions.SectionName}:{i}";
            void Error(string field, object? value, string problem) => errors.Add($"{key}:{field}: '{value}' {problem}.");
            if (string.IsNullOrWhiteSpace(o.Name)) Error("Name", o.Name, "must be set (twins know their gateway by it)");
            else if (!names.Add(o.Name)) Error("Name", o.Name, "is used by another connection");
            if (string.IsNullOrWhiteSpace(o.Host)) Error("Host", o.Host, "must be set");
            if (o.Port is < 1 or > 65535) Error("Port", o.Port, "is not a port (1..65535)");
            if (o.ProtocolVersion.Trim() is not ("3.1.1" or "311" or "4" or "5.0" or "5")) Error("ProtocolVersion", o.ProtocolVersion, "must be \"3.1.1\" or \"5.0\"");
            if (o.ClientId is not null && o.ClientId.Length > 23 && o.ParsedProtocolVersion == Mqtt.MqttProtocolVersion.V311)
                Error("ClientId", o.ClientId, "is longer than the 23 characters every MQTT 3.1.1 broker must accept");
            if (o.KeepAliveSeconds is < 0 or > 65535) Error("KeepAliveSeconds", o.KeepAliveSeconds, "is not in 0..65535");
            if (o.ReceiveBufferCapacity < 1) Error("ReceiveBufferCapacity", o.ReceiveBufferCapacity, "must be at least 1");
            if (o.MaxInFlight is < 1 or > 65535) Error("MaxInFlight", o.MaxInFlight, "is not in 1..65535");
            if (o.MaxBatchSize < 1) Error("MaxBatchSize", o.MaxBatchSize, "must be at least 1");
            if (o.BatchLingerMs is < 0 or > 1000) Error("BatchLingerMs", o.BatchLingerMs, "is not in 0..1000");
            if (o.BatchLingerAboveMessagesPerSecond < 0) Error("BatchLingerAboveMessagesPerSecond", o.BatchLingerAboveMessagesPerSecond, "must not be negative");
            if (o.MaximumPacketSize < 128) Error("MaximumPacketSize", o.MaximumPacketSize, "must be at least 128 bytes");
            if (o.ReconnectMinDelayMs < 1) Error("ReconnectMinDelayMs", o.ReconnectMinDelayMs, "must be at least 1");
            if (o.ReconnectMaxDelayMs < o.ReconnectMinDelayMs) Error("ReconnectMaxDelayMs", o.ReconnectMaxDelayMs, $"must not be below ReconnectMinDelayMs ({o.ReconnectMinDelayMs})");
            if (o.Username is null && o.Password is not null) Error("Password", "***", "is set without a Username");
            Imv.Gateways.Twins.TwinMapping.Validate(key, o.Status, o.StaleAfterMs, o.Twins, errors, o.Alarms);
            if (o.Tls.Enabled && checkFiles)
            {
                if (o.Tls.CaCertificatePath is { } ca && !File.Exists(ca)) Error("Tls:CaCertificatePath", ca, "does not exist");
                if (o.Tls.ClientCertificatePath is { } cert && !File.Exists(cert)) Error("Tls:ClientCertificatePath", cert, "does not exist");
                if (o.Tls.ClientKeyPath is { } k && !File.Exists(k)) Error("Tls:ClientKeyPath", k, "does not exist");
            }
            if (o.Mode == MqttGatewayMode.SparkplugB)
            {
                var s = o.Sparkplug;
                if (s.GroupIds.Count == 0) Error("Sparkplug:GroupIds", "", "must list at least one Sparkplug group id");
                for (var g = 0; g < s.GroupIds.Count; g++)
                    if (!ValidSparkplugId(s.GroupIds[g])) Error($"Sparkplug:GroupIds:{g}", s.GroupIds[g], "is not a Sparkplug id (non-empty, no '/', '+' or '#')");
                if (!ValidSparkplugId(s.HostId)) Error("Sparkplug:HostId", s.HostId, "is not a Sparkplug id (non-empty, no '/', '+' or '#')");
                TryTemplate(() => TwinIdTemplate.Parse(s.TwinIdTemplate, ["group", "edge", "device"]), "Sparkplug:TwinIdTemplate", s.TwinIdTemplate, Error);
                TryTemplate(() => TwinIdTemplate.Parse(s.NodeTwinIdTemplate, ["group", "edge"]), "Sparkplug:NodeTwinIdTemplate", s.NodeTwinIdTemplate, Error);
                if (s.CommandQos is < 0 or > 2) Error("Sparkplug:CommandQos", s.CommandQos, "is not a QoS (0, 1 or 2)");
                if (s.RebirthMinIntervalMs < 0) Error("Sparkplug:RebirthMinIntervalMs", s.RebirthMinIntervalMs, "must not be negative");
            }
            else if (o.Mode == MqttGatewayMode.Json)
            {
                var j = o.Json;
                MqttTopicTemplate? telemetry = null;
                TryTemplate(() => telemetry = MqttTopicTemplate.Parse(j.TelemetryTopic), "Json:TelemetryTopic", j.TelemetryTopic, Error);
                if (telemetry is not null)
                {
                    if (telemetry.Names.Count == 0) Error("Json:TelemetryTopic", j.TelemetryTopic, "has no {named} segment to tell devices apart");
                    if (j.TwinIdTemplate is not null) TryTemplate(() => TwinIdTemplate.Parse(j.TwinIdTemplate, telemetry.Names), "Json:TwinIdTemplate", j.TwinIdTemplate, Error);
                    foreach (var (field, value) in new[] { ("Json:CommandTopic", j.CommandTopic), ("Json:AckTopic", j.AckTopic), ("Json:StatusTopic", j.StatusTopic) })
                    {
                        if (string.IsNullOrEmpty(value)) continue;
                        MqttTopicTemplate? other = null;
                        TryTemplate(() => other = MqttTopicTemplate.Parse(value), field, value, Error);
                        if (other is null) continue;
                        var unknown = other.Names.Except(telemetry.Names).ToList();
                        if (unknown.Count > 0) Error(field, value, $"uses segments not in Json:TelemetryTopic: {string.Join(", ", unknown.Select(u => "{" + u + "}"))}");
                        if (field != "Json:CommandTopic" && other.Names.Count != telemetry.Names.Count)
                            Error(field, value, "must name the same segments as Json:TelemetryTopic so it maps to the same twin");
                    }
                }
                if (j.Qos is < 0 or > 2) Error("Json:Qos", j.Qos, "is not a QoS (0, 1 or 2)");
                var commands = !string.IsNullOrEmpty(j.CommandTopic);
                foreach (var (tag, t) in j.Tags)
                {
                    var at = $"Json:Tags:{tag}";
                    if (t is null) continue;
                    if (t.DataType == TagDataType.None) Error(at + ":DataType", t.DataType, "is not a tag type (Boolean, Integer, Double, String or an array of them)");
                    if (t.Writable && !commands) Error(at + ":Writable", t.Writable, "needs Json:CommandTopic (where commands are published)");
                    var numeric = t.DataType is null or TagDataType.Integer or TagDataType.Double;
                    if ((t.Minimum is not null || t.Maximum is not null) && !numeric) Error(at + ":Minimum", t.Minimum, $"limits apply to numeric tags, not {t.DataType}");
                    if (t.Minimum is { } min && t.Maximum is { } max && min > max) Error(at + ":Maximum", max, $"is below Minimum ({min})");
                    if ((t.Minimum is not null || t.Maximum is not null) && !t.Writable) Error(at + ":Minimum", t.Minimum ?? t.Maximum, "limits commands, but the tag is not Writable");
                }
                foreach (var (method, m) in j.Methods)
                {
                    if (m is null) continue;
                    if (!commands) Error($"Json:Methods:{method}", method, "needs Json:CommandTopic (where method calls are published)");
                    for (var a = 0; a < m.Arguments.Count; a++)
                    {
                        if (string.IsNullOrWhiteSpace(m.Arguments[a].Name)) Error($"Json:Methods:{method}:Arguments:{a}:Name", m.Arguments[a].Name, "must be set");
                        if (m.Arguments[a].DataType == TagDataType.None) Error($"Json:Methods:{method}:Arguments:{a}:DataType", m.Arguments[a].DataType, "is not a tag type");
                    }
                }
            }
            else
            {
                Error("Mode", o.Mode, "must be SparkplugB or Json");
            }
        }
        return errors;
    }

    /// <summary>Throws <see cref="MqttGatewayConfigurationException"/> listing every problem.</summary>
    public static void ThrowIfInvalid(IReadOnlyList<MqttGatewayOptions> connections)
    {
        var errors = Validate(connections);
        if (errors.Count > 0) throw new MqttGatewayConfigurationException(errors);
    }

    private static bool ValidSparkplugId(string? id) => !string.IsNullOrWhiteSpace(id) && id.IndexOfAny(['/', '+', '#']) < 0;

    private static void TryTemplate(Action parse, string field, string? value, Action<string, object?, string> error)
    {
        try
        {
            parse();
        }
        catch (FormatException ex)
        {
            error(field, value, "is not a valid template: " + ex.Message);
        }
    }
}
