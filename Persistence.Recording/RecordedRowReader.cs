using System.Data.Common;

namespace Imv.Persistence.Recording;

/// <summary>Reads a replay's rows, whatever database holds them: the result of
/// <c>SELECT position, twin, at, kind, data ... ORDER BY position</c>, keeping the rows of the admitted twins.</summary>
internal static class RecordedRowReader
{
    public static IEnumerable<RecordedRow> Read(DbDataReader reader, Func<string, bool> twins, CancellationToken cancellationToken)
    {
        string? lastTwin = null;
        bool lastAdmitted = false;
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var twin = reader.GetString(1);
            // Consecutive entries are often of one twin: keep its admission instead of asking again.
            if (!string.Equals(twin, lastTwin, StringComparison.Ordinal)) { lastTwin = twin; lastAdmitted = twins(twin); }
            if (!lastAdmitted) continue;
            yield return new RecordedRow(reader.GetInt64(0), twin, reader.GetInt64(2), reader.GetInt32(3), (byte[])reader.GetValue(4));
        }
    }
}
