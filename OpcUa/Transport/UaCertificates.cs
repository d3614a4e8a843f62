namespace Imv.Gateways.OpcUa.Transport;

/// <summary>Helpers for certificates as OPC UA carries them (DER, possibly a concatenated chain).</summary>
internal static class UaCertificates
{
    /// <summary>The first DER certificate of a chain (servers may send their chain concatenated).</summary>
    public static byte[] FirstCertificate(byte[] der)
    {
        if (der.Length < 4 || der[0] != 0x30) return der;
        int length;
        int header;
        if (der[1] < 0x80)
        {
            length = der[1];
            header = 2;
        }
        else
        {
            var count = der[1] & 0x7F;
            if (count is < 1 or > 4 || der.Length < 2 + count) return der;
            length = 0;
            for (var i = 0; i < count; i++) length = (length << 8) | der[2 + i];
            header = 2 + count;
        }
        var total = header + length;
        return total > 0 && total < der.Length ? der[..total] : der;
    }
}
