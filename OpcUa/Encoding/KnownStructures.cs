namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>The structures the client decodes from ExtensionObject bodies by their binary encoding id;
/// every other structure stays opaque.</summary>
internal static class KnownStructures
{
    public const uint RangeEncoding = 886;
    public const uint EUInformationEncoding = 889;
    public const uint DataChangeNotificationEncoding = 811;
    public const uint StatusChangeNotificationEncoding = 820;
    public const uint ArgumentEncoding = 298;
    public const uint DataChangeFilterEncoding = 724;
    public const uint AnonymousIdentityTokenEncoding = 321;
    public const uint UserNameIdentityTokenEncoding = 324;

    public static object? TryDecode(NodeId typeId, ReadOnlySpan<byte> body, int depth, int maxStringLength, int maxArrayLength)
    {
        if (typeId.NamespaceIndex != 0 || typeId.IdType != NodeIdType.Numeric) return null;
        var reader = new UaBinaryReader(body, maxStringLength, maxArrayLength, depth);
        switch (typeId.NumericId)
        {
            case DataChangeNotificationEncoding:
                {
                    var count = Math.Max(0, reader.ReadArrayLength());
                    var items = System.Buffers.ArrayPool<MonitoredItemNotification>.Shared.Rent(count);
                    try
                    {
                        for (var i = 0; i < count; i++) items[i] = new MonitoredItemNotification(reader.ReadUInt32(), reader.ReadDataValue());
                        // Diagnostic infos follow; they are not used, but must be well formed.
                        if (reader.Remaining > 0) reader.SkipDiagnosticInfos();
                    }
                    catch
                    {
                        System.Buffers.ArrayPool<MonitoredItemNotification>.Shared.Return(items, clearArray: true);
                        throw;
                    }
                    return new DataChangeNotification(items, count);
                }
            case StatusChangeNotificationEncoding:
                return new StatusChangeNotification(reader.ReadUInt32());
            case RangeEncoding:
                return new UaRange(reader.ReadDouble(), reader.ReadDouble());
            case EUInformationEncoding:
                {
                    var uri = reader.ReadString();
                    var unitId = reader.ReadInt32();
                    var display = reader.ReadLocalizedText();
                    var description = reader.ReadLocalizedText();
                    return new EUInformation(uri, unitId, display, description);
                }
            case ArgumentEncoding:
                {
                    var name = reader.ReadString();
                    var dataType = reader.ReadNodeId();
                    var valueRank = reader.ReadInt32();
                    var dims = reader.ReadUInt32Array();
                    var description = reader.ReadLocalizedText();
                    return new MethodArgument(name, dataType, valueRank, dims, description);
                }
            default:
                return null;
        }
    }
}
