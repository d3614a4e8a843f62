using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Imv.Client.Connection;

/// <summary>Parses and resolves <c>host:port</c> gateway addresses.</summary>
public static class GatewayEndpoint
{
    /// <summary>Splits <c>host:port</c>; false when it is not one.</summary>
    public static bool TryParse(string text, out (string Host, int Port) endpoint)
    {
        endpoint = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1) return false;
        var host = text[..colon].Trim('[', ']');
        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is <= 0 or > 65535) return false;
        endpoint = (host, port);
        return host.Length > 0;
    }

    /// <summary>Resolves <c>host:port</c> to an IP endpoint (IPv4 preferred).</summary>
    public static IPEndPoint Resolve(string text)
    {
        if (!TryParse(text, out var e)) throw new ArgumentException($"'{text}' is not host:port.", nameof(text));
        if (IPAddress.TryParse(e.Host, out var ip)) return new IPEndPoint(ip, e.Port);
        var addresses = Dns.GetHostAddresses(e.Host);
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new ArgumentException($"'{e.Host}' does not resolve to an address.", nameof(text));
        return new IPEndPoint(chosen, e.Port);
    }
}
