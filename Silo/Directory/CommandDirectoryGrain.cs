
namespace Imv.Silo.Directory;

/// <summary>A shard of the command directory (see <see cref="ICommandDirectoryGrain"/>).</summary>
public sealed class CommandDirectoryGrain : Grain, ICommandDirectoryGrain
{
    private readonly IPersistentState<CommandDirectoryState> _state;

    /// <summary>Creates the grain (the runtime does).</summary>
    public CommandDirectoryGrain([PersistentState("commandDirectory")] IPersistentState<CommandDirectoryState> state)
    {
        _state = state;
    }

    /// <inheritdoc />
    public async Task<string> RecordAsync(string commandId, string twinId)
    {
        ArgumentException.ThrowIfNullOrEmpty(commandId);
        ArgumentException.ThrowIfNullOrEmpty(twinId);
        var s = _state.State;
        if (s.Twins.TryGetValue(commandId, out var existing)) return existing;
        s.Twins[commandId] = twinId;
        s.Order.Add(commandId);
        if (s.Order.Count > CommandDirectory.MaxEntriesPerShard)
        {
            int excess = s.Order.Count - CommandDirectory.MaxEntriesPerShard;
            foreach (var old in s.Order.Take(excess)) s.Twins.Remove(old);
            s.Order.RemoveRange(0, excess);
        }
        await _state.WriteStateAsync();
        return twinId;
    }

    /// <inheritdoc />
    public Task<string?> FindAsync(string commandId) =>
        Task.FromResult(_state.State.Twins.TryGetValue(commandId, out var twin) ? twin : null);
}
