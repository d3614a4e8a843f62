namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>Conversions between .NET DateTime and the OPC UA DateTime (100 ns since 1601-01-01 UTC),
/// with the spec's clamping: 0 and earlier mean "no time", the maximum Int64 means "end of time".</summary>
internal static class UaDateTime
{
    private const long EpochTicks = 504911232000000000; // 1601-01-01T00:00:00Z in .NET ticks
    private static readonly long MaxFileTime = DateTime.MaxValue.Ticks - EpochTicks;

    public static DateTime FromFileTime(long value)
    {
        if (value <= 0) return DateTime.MinValue;
        if (value >= MaxFileTime) return DateTime.MaxValue;
        return new DateTime(value + EpochTicks, DateTimeKind.Utc);
    }

    public static long ToFileTime(DateTime value)
    {
        if (value.Kind == DateTimeKind.Local) value = value.ToUniversalTime();
        if (value.Ticks <= EpochTicks) return 0;
        if (value == DateTime.MaxValue) return long.MaxValue;
        return value.Ticks - EpochTicks;
    }
}
