namespace Imv.Gateways.MqttGateway;

/// <summary>Counters of one gateway connection, safe to read from any thread.</summary>
public sealed class MqttGatewayStatistics
{
    internal long messages;
    internal long badMessages;
    internal long updates;
    internal long telemetryCalls;
    internal long rebirthRequests;
    internal long sequenceGaps;
    internal long sinkErrors;
    internal long commandsSent;
    internal long commandsApplied;
    internal long typeMismatches;
    internal long commandsRejected;

    /// <summary>Messages taken from the broker.</summary>
    public long Messages => Interlocked.Read(ref messages);
    /// <summary>Messages refused (malformed packet content, bad protobuf or JSON, unknown alias, unknown device); each logged.</summary>
    public long BadMessages => Interlocked.Read(ref badMessages);
    /// <summary>Tag updates handed to the sink.</summary>
    public long TagUpdates => Interlocked.Read(ref updates);
    /// <summary>Calls of <c>WriteTelemetryAsync</c> (batches per twin).</summary>
    public long TelemetryCalls => Interlocked.Read(ref telemetryCalls);
    /// <summary>Sparkplug rebirth requests sent.</summary>
    public long RebirthRequests => Interlocked.Read(ref rebirthRequests);
    /// <summary>Sparkplug seq gaps seen.</summary>
    public long SequenceGaps => Interlocked.Read(ref sequenceGaps);
    /// <summary>Sink calls that failed (logged; the gateway goes on).</summary>
    public long SinkErrors => Interlocked.Read(ref sinkErrors);
    /// <summary>Commands published.</summary>
    public long CommandsSent => Interlocked.Read(ref commandsSent);
    /// <summary>Commands confirmed as applied.</summary>
    public long CommandsApplied => Interlocked.Read(ref commandsApplied);
    /// <summary>Readings refused because they did not fit their tag's type (delivered as Bad, logged with a rate limit).</summary>
    public long TypeMismatches => Interlocked.Read(ref typeMismatches);
    /// <summary>Commands rejected by the gateway before publishing (device offline, read-only tag, undeclared method,
    /// value out of limits or of the wrong type).</summary>
    public long CommandsRejected => Interlocked.Read(ref commandsRejected);

}
