namespace Imv.Runtime.Serialization;

/// <summary>Bytes could not be decoded, or a value could not be encoded.</summary>
public sealed class SerializationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SerializationException(string message) : base(message) { }

    /// <summary>Creates the exception with an inner cause.</summary>
    public SerializationException(string message, Exception inner) : base(message, inner) { }
}
