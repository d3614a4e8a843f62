using Imv.Client.Watching;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Client.Access;

/// <summary>Commands to twins (<see cref="IMachineGrain.SubmitCommandAsync"/>), and following one through its states.</summary>
public sealed class CommandAccess
{
    private readonly IGrainFactory _grains;
    private readonly TwinAccess _twins;

    internal CommandAccess(IGrainFactory grains, TwinAccess twins)
    {
        _grains = grains;
        _twins = twins;
    }

    /// <summary>Submits a command; returns its record as the twin answered (Issued, Delivered, Applied or Rejected with its reason).</summary>
    public Task<CommandRecord> SendAsync(string twinId, CommandRequest command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        return _twins.Grain(twinId).SubmitCommandAsync(command).WaitAsync(cancellationToken);
    }

    /// <summary>A command's record; null when unknown.</summary>
    public Task<CommandRecord?> GetAsync(string twinId, string commandId, CancellationToken cancellationToken = default) =>
        _twins.Grain(twinId).GetCommandAsync(commandId).WaitAsync(cancellationToken);

    /// <summary>Submits a command and follows it until it can change no more (Applied, Rejected, Expired), calling
    /// <paramref name="onMove"/> with each new state as it happens (the twin's change feed, checked against the twin on
    /// every gap). Returns the final record; throws <see cref="TimeoutException"/> when it is still open
    /// <paramref name="timeout"/> after submission.</summary>
    public async Task<CommandRecord> SendAndFollowAsync(string twinId, CommandRequest command, Action<CommandRecord>? onMove, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        // Watch first, so no transition can happen unseen between the submission and the subscription.
        await using var watch = await _twins.WatchAsync(twinId, cancellationToken).ConfigureAwait(false);
        var last = (CommandDeliveryStatus?)null;
        CommandRecord? current = null;
        void See(CommandRecord r)
        {
            if (r.Envelope.CommandId != command.CommandId) return;
            if (current is not null && current.Transitions.Count >= r.Transitions.Count) return;
            current = r;
            if (last != r.Status) { last = r.Status; onMove?.Invoke(r); }
        }
        See(await SendAsync(twinId, command, cancellationToken).ConfigureAwait(false));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (current is null || !current.IsTerminal)
            {
                var e = await watch.ReadAsync(deadline.Token).ConfigureAwait(false);
                if (e.Change is { } change) foreach (var r in change.Commands) See(r);
                else if (e.Kind is WatchEventKind.Gap or WatchEventKind.Restored or WatchEventKind.Started
                         && await GetAsync(twinId, command.CommandId, deadline.Token).ConfigureAwait(false) is { } known) See(known);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Command '{command.CommandId}' on twin '{twinId}' is still {current?.Status.ToString() ?? "unknown"} after {timeout.TotalSeconds:0.#} s.");
        }
        return current;
    }
}
