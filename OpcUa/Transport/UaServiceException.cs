using Imv.Gateways.OpcUa.Encoding;

namespace Imv.Gateways.OpcUa.Transport;

/// <summary>A service, the channel or the connection failed with an OPC UA status code; the message
/// names the code (e.g. BadNodeIdUnknown) and what was being done.</summary>
public sealed class UaServiceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UaServiceException(uint status, string message)
        : base(message + ": " + StatusCode.NameOf(status)) => Status = status;

    /// <summary>Creates the exception with a cause.</summary>
    public UaServiceException(uint status, string message, Exception innerException)
        : base(message + ": " + StatusCode.NameOf(status), innerException) => Status = status;

    /// <summary>Creates the exception.</summary>
    public UaServiceException() : this(StatusCode.BadUnexpectedError, "OPC UA failure") { }

    /// <summary>Creates the exception.</summary>
    public UaServiceException(string message) : this(StatusCode.BadUnexpectedError, message) { }

    /// <summary>Creates the exception.</summary>
    public UaServiceException(string message, Exception innerException)
        : this(StatusCode.BadUnexpectedError, message, innerException) { }

    /// <summary>The status code.</summary>
    public uint Status { get; }

    /// <summary>The status code's name.</summary>
    public string StatusName => StatusCode.NameOf(Status);
}
