namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>The bytes received do not form a valid OPC UA message: truncated, out of the negotiated
/// limits, or carrying an unknown encoding. The channel that received them cannot be trusted any more
/// and is closed.</summary>
public sealed class UaDecodingException : Exception
{
    /// <summary>Creates the exception with the status code that best names the problem.</summary>
    public UaDecodingException(string message, uint status)
        : base(message + " (" + StatusCode.NameOf(status) + ")") => Status = status;

    /// <summary>Creates the exception as BadDecodingError.</summary>
    public UaDecodingException(string message) : this(message, StatusCode.BadDecodingError) { }

    /// <summary>Creates the exception.</summary>
    public UaDecodingException() : this("Invalid OPC UA binary data.") { }

    /// <summary>Creates the exception.</summary>
    public UaDecodingException(string message, Exception innerException) : base(message, innerException) =>
        Status = StatusCode.BadDecodingError;

    /// <summary>The OPC UA status code naming the failure (BadDecodingError, BadEncodingLimitsExceeded, ...).</summary>
    public uint Status { get; }
}
