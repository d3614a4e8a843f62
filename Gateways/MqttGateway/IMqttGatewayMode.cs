using Imv.Gateways.Mqtt;
using Imv.Grains.Interfaces.Commands;

namespace Imv.Gateways.MqttGateway;

/// <summary>The protocol-specific half of a gateway connection: Sparkplug B or plain JSON.</summary>
internal interface IMqttGatewayMode
{
    /// <summary>The last will to register (Sparkplug STATE offline), or null.</summary>
    MqttApplicationMessage? Will { get; }

    /// <summary>Subscribes and announces itself; runs after every (re)connect.</summary>
    Task OnConnectedAsync(IMqttGatewayClient client, bool sessionPresent, CancellationToken cancellationToken);

    /// <summary>Announces a graceful stop (Sparkplug: STATE offline) while still connected.</summary>
    Task OnStoppingAsync(IMqttGatewayClient client, CancellationToken cancellationToken);

    /// <summary>Interprets one message. Bad input throws <see cref="MqttDecodeException"/> (counted and logged by the caller).</summary>
    ValueTask HandleAsync(MqttReceivedMessage message, GatewayBatch batch, CancellationToken cancellationToken);

    /// <summary>Builds the publication for a command, or a rejection reason.</summary>
    MqttCommandPlan PrepareCommand(DeviceCommand command);

    /// <summary>The twins this connection currently knows (to mark them Reconnecting when the connection drops).</summary>
    IReadOnlyList<string> KnownTwins();
}
