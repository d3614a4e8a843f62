namespace Imv.Grains.Interfaces.Replay;

/// <summary>Where a replay is.</summary>
public enum ReplayState
{
    /// <summary>The sandbox is starting or the recording is being fed.</summary>
    Running,
    /// <summary>The whole range was fed; the hash and the report are ready.</summary>
    Completed,
    /// <summary>Stopped by a request before the end: the progress says how far it got (a partial report up to there).</summary>
    Stopped,
    /// <summary>Failed (a damaged recording entry, the sandbox failing): the error says why.</summary>
    Failed,
}
