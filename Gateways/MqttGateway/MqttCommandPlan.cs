using Imv.Gateways.Mqtt;

namespace Imv.Gateways.MqttGateway;

/// <summary>How a command goes out: the message, or why it cannot; and how it will be confirmed.</summary>
/// <param name="Message">The publication; null when rejected.</param>
/// <param name="Rejection">Why the command cannot be sent; null when it can.</param>
/// <param name="ConfirmByValue">True when the tag reporting the commanded value confirms it.</param>
/// <param name="ConfirmByAck">True when an acknowledgement message confirms it.</param>
internal sealed record MqttCommandPlan(MqttApplicationMessage? Message, string? Rejection, bool ConfirmByValue, bool ConfirmByAck)
{
    public static MqttCommandPlan Reject(string reason) => new(null, reason, false, false);
}
