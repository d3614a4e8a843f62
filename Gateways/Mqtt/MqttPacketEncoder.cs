using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Imv.Gateways.Mqtt;

/// <summary>Encodes client packets into a buffer writer (the connection's outgoing pipe).</summary>
internal static class MqttPacketEncoder
{
    // Scratch for variable parts (properties, CONNECT/SUBSCRIBE bodies); reused per thread so the publish
    // path does not allocate once warmed up.
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_properties;
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_body;

    private static ArrayBufferWriter<byte> Scratch(ref ArrayBufferWriter<byte>? slot)
    {
        slot ??= new ArrayBufferWriter<byte>(256);
        slot.ResetWrittenCount();
        return slot;
    }

    public static void WriteConnect(IBufferWriter<byte> output, MqttConnectRequest c)
    {
        var body = Scratch(ref t_body);
        WriteString(body, "MQTT");
        WriteByte(body, (byte)c.Version);
        byte flags = 0;
        if (c.CleanStart) flags |= 0x02;
        if (c.Will is not null)
        {
            flags |= 0x04;
            flags |= (byte)((byte)c.Will.Qos << 3);
            if (c.Will.Retain) flags |= 0x20;
        }
        if (c.Password is not null) flags |= 0x40;
        if (c.Username is not null) flags |= 0x80;
        WriteByte(body, flags);
        WriteUInt16(body, c.KeepAliveSeconds);
        var v5 = c.Version == MqttProtocolVersion.V500;
        if (v5)
        {
            var p = Scratch(ref t_properties);
            if (c.SessionExpiryInterval != 0) { WriteByte(p, 0x11); WriteUInt32(p, c.SessionExpiryInterval); }
            if (c.ReceiveMaximum != 0 && c.ReceiveMaximum != ushort.MaxValue) { WriteByte(p, 0x21); WriteUInt16(p, c.ReceiveMaximum); }
            if (c.MaximumPacketSize != 0) { WriteByte(p, 0x27); WriteUInt32(p, c.MaximumPacketSize); }
            if (c.TopicAliasMaximum != 0) { WriteByte(p, 0x22); WriteUInt16(p, c.TopicAliasMaximum); }
            WriteVariableByteInteger(body, (uint)p.WrittenCount);
            body.Write(p.WrittenSpan);
        }
        WriteString(body, c.ClientId);
        if (c.Will is not null)
        {
            if (v5)
            {
                var p = Scratch(ref t_properties);
                WriteMessageProperties(p, c.Will, topicAlias: 0);
                WriteVariableByteInteger(body, (uint)p.WrittenCount);
                body.Write(p.WrittenSpan);
            }
            WriteString(body, c.Will.Topic);
            WriteBinary(body, c.Will.Payload.Span);
        }
        if (c.Username is not null) WriteString(body, c.Username);
        if (c.Password is not null) WriteBinary(body, Encoding.UTF8.GetBytes(c.Password));
        WriteFixedHeader(output, (byte)((byte)MqttPacketType.Connect << 4), body.WrittenCount);
        output.Write(body.WrittenSpan);
    }

    /// <summary>Writes a PUBLISH. <paramref name="topicAlias"/> is 0 for none; with <paramref name="omitTopic"/>
    /// the topic name is sent empty and the alias stands for it.</summary>
    public static void WritePublish(IBufferWriter<byte> output, MqttProtocolVersion version, MqttApplicationMessage message,
        ushort packetId, bool dup, ushort topicAlias, bool omitTopic)
    {
        var v5 = version == MqttProtocolVersion.V500;
        ReadOnlySpan<byte> properties = default;
        if (v5)
        {
            var p = Scratch(ref t_properties);
            WriteMessageProperties(p, message, topicAlias);
            properties = p.WrittenSpan;
        }
        var topicLength = omitTopic ? 0 : Encoding.UTF8.GetByteCount(message.Topic);
        if (topicLength > ushort.MaxValue) throw new ArgumentException($"Topic '{message.Topic}' is longer than 65535 bytes.", nameof(message));
        var remaining = 2 + topicLength + (message.Qos > 0 ? 2 : 0) + message.Payload.Length;
        if (v5) remaining += VariableByteIntegerSize((uint)properties.Length) + properties.Length;
        byte first = (byte)(((byte)MqttPacketType.Publish << 4) | ((byte)message.Qos << 1));
        if (message.Retain) first |= 1;
        if (dup && message.Qos > 0) first |= 8;
        WriteFixedHeader(output, first, remaining);
        WriteUInt16(output, (ushort)topicLength);
        if (topicLength > 0)
        {
            var span = output.GetSpan(topicLength);
            Encoding.UTF8.GetBytes(message.Topic, span);
            output.Advance(topicLength);
        }
        if (message.Qos > 0) WriteUInt16(output, packetId);
        if (v5)
        {
            WriteVariableByteInteger(output, (uint)properties.Length);
            output.Write(properties);
        }
        output.Write(message.Payload.Span);
    }

    /// <summary>PUBACK, PUBREC, PUBREL or PUBCOMP.</summary>
    public static void WriteAck(IBufferWriter<byte> output, MqttProtocolVersion version, MqttPacketType type, ushort packetId, byte reasonCode = 0)
    {
        byte first = (byte)((byte)type << 4);
        if (type == MqttPacketType.PubRel) first |= 2;
        // MQTT 5 lets a success ack omit its reason code; keep the 3.1.1 shape then.
        var withReason = version == MqttProtocolVersion.V500 && reasonCode != 0;
        WriteFixedHeader(output, first, withReason ? 3 : 2);
        WriteUInt16(output, packetId);
        if (withReason) WriteByte(output, reasonCode);
    }

    public static void WriteSubscribe(IBufferWriter<byte> output, MqttProtocolVersion version, ushort packetId, IReadOnlyList<MqttSubscription> subscriptions)
    {
        var body = Scratch(ref t_body);
        WriteUInt16(body, packetId);
        var v5 = version == MqttProtocolVersion.V500;
        if (v5) WriteVariableByteInteger(body, 0);
        foreach (var s in subscriptions)
        {
            WriteString(body, s.Filter);
            byte options = (byte)s.Qos;
            if (v5)
            {
                if (s.NoLocal) options |= 0x04;
                if (s.RetainAsPublished) options |= 0x08;
                options |= (byte)((s.RetainHandling & 3) << 4);
            }
            WriteByte(body, options);
        }
        WriteFixedHeader(output, (byte)(((byte)MqttPacketType.Subscribe << 4) | 2), body.WrittenCount);
        output.Write(body.WrittenSpan);
    }

    public static void WriteUnsubscribe(IBufferWriter<byte> output, MqttProtocolVersion version, ushort packetId, IReadOnlyList<string> filters)
    {
        var body = Scratch(ref t_body);
        WriteUInt16(body, packetId);
        if (version == MqttProtocolVersion.V500) WriteVariableByteInteger(body, 0);
        foreach (var f in filters) WriteString(body, f);
        WriteFixedHeader(output, (byte)(((byte)MqttPacketType.Unsubscribe << 4) | 2), body.WrittenCount);
        output.Write(body.WrittenSpan);
    }

    public static void WritePingReq(IBufferWriter<byte> output) => WriteFixedHeader(output, (byte)MqttPacketType.PingReq << 4, 0);

    /// <summary>DISCONNECT; for MQTT 5 with a reason code (0x04 asks the broker to publish the will).</summary>
    public static void WriteDisconnect(IBufferWriter<byte> output, MqttProtocolVersion version, byte reasonCode)
    {
        if (version == MqttProtocolVersion.V500 && reasonCode != 0)
        {
            WriteFixedHeader(output, (byte)MqttPacketType.Disconnect << 4, 1);
            WriteByte(output, reasonCode);
        }
        else
        {
            WriteFixedHeader(output, (byte)MqttPacketType.Disconnect << 4, 0);
        }
    }

    private static void WriteMessageProperties(IBufferWriter<byte> p, MqttApplicationMessage m, ushort topicAlias)
    {
        if (m.PayloadFormatIndicator is { } pfi) { WriteByte(p, 0x01); WriteByte(p, pfi); }
        if (m.MessageExpiryInterval is { } expiry) { WriteByte(p, 0x02); WriteUInt32(p, expiry); }
        if (m.ContentType is { } ct) { WriteByte(p, 0x03); WriteString(p, ct); }
        if (m.ResponseTopic is { } rt) { WriteByte(p, 0x08); WriteString(p, rt); }
        if (m.CorrelationData is { } cd) { WriteByte(p, 0x09); WriteBinary(p, cd.Span); }
        if (topicAlias != 0) { WriteByte(p, 0x23); WriteUInt16(p, topicAlias); }
        if (m.UserProperties is { } ups)
        {
            foreach (var up in ups) { WriteByte(p, 0x26); WriteString(p, up.Name); WriteString(p, up.Value); }
        }
    }

    public static void WriteFixedHeader(IBufferWriter<byte> output, byte first, int remainingLength)
    {
        if (remainingLength > 268_435_455) throw new ArgumentOutOfRangeException(nameof(remainingLength), remainingLength, "An MQTT packet body cannot exceed 268,435,455 bytes.");
        WriteByte(output, first);
        WriteVariableByteInteger(output, (uint)remainingLength);
    }

    public static int VariableByteIntegerSize(uint value) => value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;

    public static void WriteVariableByteInteger(IBufferWriter<byte> output, uint value)
    {
        var span = output.GetSpan(4);
        var i = 0;
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            if (value > 0) b |= 0x80;
            span[i++] = b;
        } while (value > 0);
        output.Advance(i);
    }

    public static void WriteByte(IBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    public static void WriteUInt16(IBufferWriter<byte> output, ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(output.GetSpan(2), value);
        output.Advance(2);
    }

    public static void WriteUInt32(IBufferWriter<byte> output, uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    public static void WriteString(IBufferWriter<byte> output, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        if (length > ushort.MaxValue) throw new ArgumentException($"String of {length} UTF-8 bytes exceeds the MQTT limit of 65535.", nameof(value));
        WriteUInt16(output, (ushort)length);
        var span = output.GetSpan(length);
        Encoding.UTF8.GetBytes(value, span);
        output.Advance(length);
    }

    public static void WriteBinary(IBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        if (value.Length > ushort.MaxValue) throw new ArgumentException($"Binary data of {value.Length} bytes exceeds the MQTT limit of 65535.", nameof(value));
        WriteUInt16(output, (ushort)value.Length);
        output.Write(value);
    }
}
