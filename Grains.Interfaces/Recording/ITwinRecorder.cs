using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Grains.Interfaces.Recording;

/// <summary>Where a machine twin hands what it accepted, for the plant recording (replay, time travel). Resolved
/// optionally by the twin: without a registered recorder nothing is recorded. Implementations must not block
/// and must not keep the readings handed over (the twin's caller owns the array): they copy what they keep.</summary>
public interface ITwinRecorder
{
    /// <summary>Readings the twin accepted at <paramref name="receivedAt"/>, in the order it applied them:
    /// <paramref name="updates"/>[i] was accepted when <paramref name="accepted"/>[i] is true (empty: all were).</summary>
    void RecordReadings(string twinId, DateTimeOffset receivedAt, ReadOnlySpan<TagUpdate> updates, ReadOnlySpan<bool> accepted);

    /// <summary>A command's transition: <paramref name="record"/> as it is after its last transition.</summary>
    void RecordCommand(string twinId, CommandRecord record);
}
