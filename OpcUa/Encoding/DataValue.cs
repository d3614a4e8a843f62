namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>A value with its status and timestamps, as read or reported by a monitored item.</summary>
public struct DataValue
{
    /// <summary>A good value with no timestamps.</summary>
    public DataValue(Variant value)
    {
        Value = value;
    }

    /// <summary>The value.</summary>
    public Variant Value { get; set; }
    /// <summary>The status code (Good when absent on the wire).</summary>
    public uint StatusCode { get; set; }
    /// <summary>When the source sampled the value; null when absent.</summary>
    public DateTime? SourceTimestamp { get; set; }
    /// <summary>Extra 10 ps intervals of the source timestamp.</summary>
    public ushort SourcePicoseconds { get; set; }
    /// <summary>When the server saw the value; null when absent.</summary>
    public DateTime? ServerTimestamp { get; set; }
    /// <summary>Extra 10 ps intervals of the server timestamp.</summary>
    public ushort ServerPicoseconds { get; set; }

    /// <inheritdoc />
    public override readonly string ToString() => $"{Value} [{Encoding.StatusCode.NameOf(StatusCode)}]";
}
