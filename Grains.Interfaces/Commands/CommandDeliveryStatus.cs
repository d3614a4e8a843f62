namespace Imv.Grains.Interfaces.Commands;

/// <summary>The life of a command, from decision to machine. Terminal states: Applied, Rejected, Expired.</summary>
[GenerateSerializer]
public enum CommandDeliveryStatus : byte
{
    /// <summary>Accepted by the twin and on its way to the gateway.</summary>
    Issued = 0,
    /// <summary>The protocol acknowledged it (broker PUBACK, OPC UA Write answered Good).</summary>
    Delivered = 1,
    /// <summary>The device acknowledged receiving it.</summary>
    Acked = 2,
    /// <summary>The plant confirmed it: acknowledgement, method result, or the tag read back the commanded value.</summary>
    Applied = 3,
    /// <summary>Refused by a check or by the plant, with a reason.</summary>
    Rejected = 4,
    /// <summary>Not confirmed before it expired.</summary>
    Expired = 5,
}
