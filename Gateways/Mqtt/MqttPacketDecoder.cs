using System.Buffers;

namespace Imv.Gateways.Mqtt;

/// <summary>Decodes packets sent by a broker to a client, straight from the bytes a pipe buffered.
/// Returns false when more bytes are needed; throws <see cref="MqttDecodeException"/> (and nothing else)
/// for malformed input.</summary>
internal static class MqttPacketDecoder
{
    /// <summary>Tries to decode one packet from the start of <paramref name="buffer"/>; on success the buffer
    /// is advanced past it.</summary>
    public static bool TryDecode(ref ReadOnlySequence<byte> buffer, MqttProtocolVersion version, int maximumPacketSize,
        MqttTopicCache? topicCache, out MqttPacket packet)
    {
        packet = default;
        if (buffer.Length < 2) return false;
        var reader = new SequenceReader<byte>(buffer);
        reader.TryRead(out var first);
        var remaining = 0;
        var headerLength = 1;
        for (var i = 0; ; i++)
        {
            if (i == 4) throw new MqttDecodeException("Remaining length longer than 4 bytes.");
            if (!reader.TryRead(out var b)) return false;
            headerLength++;
            remaining |= (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) break;
        }
        long total = (long)headerLength + remaining;
        if (total > maximumPacketSize)
            throw new MqttDecodeException($"Packet of {total} bytes exceeds the maximum packet size of {maximumPacketSize} bytes.");
        if (buffer.Length < total) return false;

        var body = buffer.Slice(headerLength, remaining);
        if (body.IsSingleSegment)
        {
            packet = DecodeBody(first, body.FirstSpan, version, topicCache);
        }
        else
        {
            var rented = ArrayPool<byte>.Shared.Rent(remaining);
            try
            {
                body.CopyTo(rented);
                packet = DecodeBody(first, rented.AsSpan(0, remaining), version, topicCache);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
        buffer = buffer.Slice(total);
        return true;
    }

    /// <summary>Decodes one packet whose fixed header's first byte and body are given.</summary>
    public static MqttPacket DecodeBody(byte first, ReadOnlySpan<byte> body, MqttProtocolVersion version, MqttTopicCache? topicCache)
    {
        var type = (MqttPacketType)(first >> 4);
        var flags = (byte)(first & 0x0F);
        var packet = new MqttPacket { Type = type, Flags = flags };
        var reader = new MqttSpanReader(body);
        var v5 = version == MqttProtocolVersion.V500;
        switch (type)
        {
            case MqttPacketType.Publish:
                DecodePublish(ref packet, ref reader, v5, topicCache);
                return packet;
            case MqttPacketType.ConnAck:
                RequireFlags(type, flags, 0);
                var ackFlags = reader.ReadByte();
                if ((ackFlags & 0xFE) != 0) throw new MqttDecodeException($"CONNACK acknowledge flags 0x{ackFlags:X2} set reserved bits.");
                packet.SessionPresent = (ackFlags & 1) != 0;
                packet.ReasonCode = reader.ReadByte();
                if (v5) packet.Properties = ReadProperties(ref reader);
                break;
            case MqttPacketType.PubAck:
            case MqttPacketType.PubRec:
            case MqttPacketType.PubRel:
            case MqttPacketType.PubComp:
                RequireFlags(type, flags, type == MqttPacketType.PubRel ? (byte)2 : (byte)0);
                packet.PacketId = ReadPacketId(ref reader, type);
                if (v5 && reader.Remaining > 0)
                {
                    packet.ReasonCode = reader.ReadByte();
                    if (reader.Remaining > 0) packet.Properties = ReadProperties(ref reader);
                }
                break;
            case MqttPacketType.SubAck:
            case MqttPacketType.UnsubAck:
                RequireFlags(type, flags, 0);
                packet.PacketId = ReadPacketId(ref reader, type);
                if (v5) packet.Properties = ReadProperties(ref reader);
                if (type == MqttPacketType.SubAck || v5)
                {
                    var codes = reader.ReadRest();
                    if (codes.IsEmpty) throw new MqttDecodeException($"{type} carries no reason codes.");
                    if (!v5)
                    {
                        foreach (var code in codes)
                            if (code is not (0 or 1 or 2 or 0x80))
                                throw new MqttDecodeException($"SUBACK return code 0x{code:X2} is not valid in MQTT 3.1.1.");
                    }
                    packet.ReasonCodes = codes.ToArray();
                }
                break;
            case MqttPacketType.PingResp:
                RequireFlags(type, flags, 0);
                break;
            case MqttPacketType.Disconnect:
            case MqttPacketType.Auth:
                if (!v5) throw new MqttDecodeException($"{type} from the server is not valid in MQTT 3.1.1.");
                RequireFlags(type, flags, 0);
                if (reader.Remaining > 0)
                {
                    packet.ReasonCode = reader.ReadByte();
                    if (reader.Remaining > 0) packet.Properties = ReadProperties(ref reader);
                }
                break;
            default:
                throw new MqttDecodeException($"Packet type {(int)type} ({type}) is not valid from a server.");
        }
        if (reader.Remaining != 0)
            throw new MqttDecodeException($"{type} has {reader.Remaining} unexpected trailing bytes.");
        return packet;
    }

    private static void DecodePublish(ref MqttPacket packet, ref MqttSpanReader reader, bool v5, MqttTopicCache? topicCache)
    {
        var flags = packet.Flags;
        var qos = (flags >> 1) & 3;
        if (qos == 3) throw new MqttDecodeException("PUBLISH with QoS 3 (both QoS bits set).");
        packet.Qos = (MqttQualityOfService)qos;
        packet.Retain = (flags & 1) != 0;
        packet.Dup = (flags & 8) != 0;
        if (packet.Dup && qos == 0) throw new MqttDecodeException("PUBLISH at QoS 0 with the DUP flag set.");
        packet.Topic = reader.ReadString("PUBLISH topic name", topicCache);
        if (packet.Topic.AsSpan().IndexOfAny('+', '#') >= 0)
            throw new MqttDecodeException($"PUBLISH topic name '{packet.Topic}' contains a wildcard.");
        if (qos > 0) packet.PacketId = ReadPacketId(ref reader, MqttPacketType.Publish);
        if (v5)
        {
            packet.Properties = ReadProperties(ref reader);
            if (packet.Topic.Length == 0 && packet.Properties?.TopicAlias is null)
                throw new MqttDecodeException("PUBLISH with an empty topic name and no topic alias.");
            if (packet.Properties?.TopicAlias == 0) throw new MqttDecodeException("PUBLISH with topic alias 0.");
        }
        else if (packet.Topic.Length == 0)
        {
            throw new MqttDecodeException("PUBLISH with an empty topic name.");
        }
        var payload = reader.ReadRest();
        packet.Payload = payload.IsEmpty ? Array.Empty<byte>() : payload.ToArray();
    }

    private static ushort ReadPacketId(ref MqttSpanReader reader, MqttPacketType type)
    {
        var id = reader.ReadUInt16();
        if (id == 0) throw new MqttDecodeException($"{type} with packet identifier 0.");
        return id;
    }

    private static void RequireFlags(MqttPacketType type, byte flags, byte expected)
    {
        if (flags != expected)
            throw new MqttDecodeException($"{type} with reserved header flags 0x{flags:X1} (expected 0x{expected:X1}).");
    }

    /// <summary>Reads an MQTT 5 property block; null when it is empty.</summary>
    internal static MqttProperties? ReadProperties(ref MqttSpanReader reader)
    {
        var length = reader.ReadVariableByteInteger();
        if (length == 0) return null;
        if (length > reader.Remaining) throw new MqttDecodeException($"Property length {length} exceeds the {reader.Remaining} bytes left.");
        var end = reader.Position + (int)length;
        var p = new MqttProperties();
        while (reader.Position < end)
        {
            var id = reader.ReadVariableByteInteger();
            switch (id)
            {
                case 0x01: p.PayloadFormatIndicator = Once(p.PayloadFormatIndicator, ReadBoolByte(ref reader, id), id); break;
                case 0x02: p.MessageExpiryInterval = Once(p.MessageExpiryInterval, reader.ReadUInt32(), id); break;
                case 0x03: p.ContentType = Once(p.ContentType, reader.ReadString("Content type"), id); break;
                case 0x08: p.ResponseTopic = Once(p.ResponseTopic, reader.ReadString("Response topic"), id); break;
                case 0x09: p.CorrelationData = Once(p.CorrelationData, reader.ReadBinary().ToArray(), id); break;
                case 0x0B:
                    var sid = reader.ReadVariableByteInteger();
                    if (sid == 0) throw new MqttDecodeException("Subscription identifier 0.");
                    (p.SubscriptionIdentifiers ??= new List<uint>(1)).Add(sid);
                    break;
                case 0x11: p.SessionExpiryInterval = Once(p.SessionExpiryInterval, reader.ReadUInt32(), id); break;
                case 0x12: p.AssignedClientIdentifier = Once(p.AssignedClientIdentifier, reader.ReadString("Assigned client identifier"), id); break;
                case 0x13: p.ServerKeepAlive = Once(p.ServerKeepAlive, reader.ReadUInt16(), id); break;
                case 0x15: p.AuthenticationMethod = Once(p.AuthenticationMethod, reader.ReadString("Authentication method"), id); break;
                case 0x16: p.AuthenticationData = Once(p.AuthenticationData, reader.ReadBinary().ToArray(), id); break;
                case 0x17: p.RequestProblemInformation = Once(p.RequestProblemInformation, ReadBoolByte(ref reader, id), id); break;
                case 0x18: p.WillDelayInterval = Once(p.WillDelayInterval, reader.ReadUInt32(), id); break;
                case 0x19: p.RequestResponseInformation = Once(p.RequestResponseInformation, ReadBoolByte(ref reader, id), id); break;
                case 0x1A: p.ResponseInformation = Once(p.ResponseInformation, reader.ReadString("Response information"), id); break;
                case 0x1C: p.ServerReference = Once(p.ServerReference, reader.ReadString("Server reference"), id); break;
                case 0x1F: p.ReasonString = Once(p.ReasonString, reader.ReadString("Reason string"), id); break;
                case 0x21:
                    var receiveMaximum = reader.ReadUInt16();
                    if (receiveMaximum == 0) throw new MqttDecodeException("Receive maximum 0.");
                    p.ReceiveMaximum = Once(p.ReceiveMaximum, receiveMaximum, id);
                    break;
                case 0x22: p.TopicAliasMaximum = Once(p.TopicAliasMaximum, reader.ReadUInt16(), id); break;
                case 0x23: p.TopicAlias = Once(p.TopicAlias, reader.ReadUInt16(), id); break;
                case 0x24: p.MaximumQos = Once(p.MaximumQos, ReadBoolByte(ref reader, id), id); break;
                case 0x25: p.RetainAvailable = Once(p.RetainAvailable, ReadBoolByte(ref reader, id), id); break;
                case 0x26:
                    var name = reader.ReadString("User property name");
                    var value = reader.ReadString("User property value");
                    (p.UserProperties ??= new List<MqttUserProperty>(2)).Add(new MqttUserProperty(name, value));
                    break;
                case 0x27:
                    var maxSize = reader.ReadUInt32();
                    if (maxSize == 0) throw new MqttDecodeException("Maximum packet size 0.");
                    p.MaximumPacketSize = Once(p.MaximumPacketSize, maxSize, id);
                    break;
                case 0x28: p.WildcardSubscriptionAvailable = Once(p.WildcardSubscriptionAvailable, ReadBoolByte(ref reader, id), id); break;
                case 0x29: p.SubscriptionIdentifiersAvailable = Once(p.SubscriptionIdentifiersAvailable, ReadBoolByte(ref reader, id), id); break;
                case 0x2A: p.SharedSubscriptionAvailable = Once(p.SharedSubscriptionAvailable, ReadBoolByte(ref reader, id), id); break;
                default: throw new MqttDecodeException($"Unknown property identifier 0x{id:X2}.");
            }
            if (reader.Position > end) throw new MqttDecodeException("A property runs past the end of the property block.");
        }
        return p;
    }

    private static byte ReadBoolByte(ref MqttSpanReader reader, uint id)
    {
        var b = reader.ReadByte();
        if (b > 1) throw new MqttDecodeException($"Property 0x{id:X2} has value {b}; only 0 or 1 are valid.");
        return b;
    }

    private static T Once<T>(T? existing, T value, uint id) where T : struct =>
        existing.HasValue ? throw new MqttDecodeException($"Property 0x{id:X2} appears more than once.") : value;

    private static T Once<T>(T? existing, T value, uint id) where T : class =>
        existing is not null ? throw new MqttDecodeException($"Property 0x{id:X2} appears more than once.") : value;
}
