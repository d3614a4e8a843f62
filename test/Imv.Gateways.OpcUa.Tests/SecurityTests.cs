using System.Security.Cryptography.X509Certificates;
using Imv.Gateways.OpcUa.Client;
using Imv.Gateways.OpcUa.Encoding;
using Imv.Gateways.OpcUa.Transport;
using Xunit;

namespace Imv.Gateways.OpcUa.Tests;

/// <summary>Basic256Sha256 Sign and SignAndEncrypt against the node-opcua PLC.</summary>
[Collection(PlcCollection.Name)]
public sealed class SecurityTests(PlcFixture plc) : IDisposable
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private readonly string _pki = Path.Combine(Path.GetTempPath(), "imv-opcua-pki-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_pki, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing was created.
        }
    }

    private UaSecurityOptions Security(MessageSecurityMode mode, bool autoAccept = true) => new()
    {
        Mode = mode,
        PkiPath = _pki,
        AutoAcceptUntrustedServerCertificate = autoAccept,
    };

    private async Task<UaClient> ConnectAsync(MessageSecurityMode mode, TimeSpan? channelLifetime = null, string? user = null, UaSecurityOptions? security = null)
    {
        var client = new UaClient(new UaClientOptions
        {
            EndpointUrl = plc.EndpointUrl,
            Security = security ?? Security(mode),
            ChannelLifetime = channelLifetime ?? TimeSpan.FromMinutes(10),
            UserName = user,
            Password = user is null ? null : "secret",
        });
        try
        {
            await client.ConnectAsync(Ct);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
        return client;
    }

    private static NodeId Plc(string id) => new(id, 1);

    [Theory]
    [InlineData(MessageSecurityMode.Sign)]
    [InlineData(MessageSecurityMode.SignAndEncrypt)]
    public async Task Connects_reads_and_writes_over_a_secured_channel(MessageSecurityMode mode)
    {
        await using var client = await ConnectAsync(mode);
        Assert.True(client.IsConnected);
        Assert.Equal(SecurityPolicyBasic256Sha256.PolicyUri, client.Channel!.Policy.Uri);
        Assert.Equal(mode, client.Channel.Policy.Mode);
        var state = await client.ReadValueAsync(WellKnownNodes.ServerState, Ct);
        Assert.Equal(0, Convert.ToInt32(state.Value.Value, System.Globalization.CultureInfo.InvariantCulture));
        var node = Plc("Types.Double");
        var value = Variant.From(mode == MessageSecurityMode.Sign ? 12.25 : 42.5);
        Assert.Equal("Good", StatusCode.NameOf(await client.WriteValueAsync(node, value, Ct)));
        Assert.Equal(value, (await client.ReadValueAsync(node, Ct)).Value);
    }
}
