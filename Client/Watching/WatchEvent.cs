namespace Imv.Client.Watching;

/// <summary>What a live subscription tells its reader.</summary>
public enum WatchEventKind
{
    /// <summary>The subscription started: <see cref="WatchEvent{TState, TChange}.State"/> holds the state it starts from.</summary>
    Started,

    /// <summary>One change, in order: <see cref="WatchEvent{TState, TChange}.Change"/>.</summary>
    Changed,

    /// <summary>Changes were missed (a silo failover, the grain reactivated, a reconnect, a lost message, a reader too
    /// slow): <see cref="WatchEvent{TState, TChange}.Reason"/> says which, and <see cref="WatchEvent{TState, TChange}.State"/>
    /// holds the current state to start again from.</summary>
    Gap,

    /// <summary>The subscription cannot reach the grain (renewal failed): <see cref="WatchEvent{TState, TChange}.Reason"/>
    /// names the failure. It keeps trying; a <see cref="Gap"/> or nothing follows once it is back.</summary>
    Lost,

    /// <summary>The grain answers again after <see cref="Lost"/>.</summary>
    Restored,
}

/// <summary>One event of a live subscription.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="State">The state (Started, Gap).</param>
/// <param name="Change">The change (Changed).</param>
/// <param name="Reason">Why (Gap, Lost).</param>
public sealed record WatchEvent<TState, TChange>(WatchEventKind Kind, TState? State, TChange? Change, string? Reason)
    where TState : class where TChange : class;
