using Imv.Gateways.OpcUa.Encoding;

namespace Imv.Gateways.OpcUa.Transport;

/// <summary>The common header of every service response.</summary>
/// <param name="Timestamp">When the server sent the response.</param>
/// <param name="RequestHandle">The handle of the request answered.</param>
/// <param name="ServiceResult">The result of the service as a whole.</param>
internal readonly record struct ResponseHeader(DateTime Timestamp, uint RequestHandle, uint ServiceResult)
{
    public static ResponseHeader Read(ref UaBinaryReader reader)
    {
        var timestamp = reader.ReadDateTime();
        var handle = reader.ReadUInt32();
        var result = reader.ReadUInt32();
        reader.ReadDiagnosticInfo();
        var stringCount = reader.ReadArrayLength();
        for (var i = 0; i < stringCount; i++) reader.ReadString();
        reader.ReadExtensionObject();
        return new ResponseHeader(timestamp, handle, result);
    }

    /// <summary>Writes a RequestHeader (the request-side counterpart) for a request.</summary>
    public static void WriteRequestHeader(UaBinaryWriter writer, NodeId authenticationToken, uint requestHandle, uint timeoutHintMs)
    {
        writer.WriteNodeId(authenticationToken);
        writer.WriteDateTime(DateTime.UtcNow);
        writer.WriteUInt32(requestHandle);
        writer.WriteUInt32(0); // no diagnostics requested
        writer.WriteString(null); // audit entry id
        writer.WriteUInt32(timeoutHintMs);
        writer.WriteExtensionObject(null);
    }
}
