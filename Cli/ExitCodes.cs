namespace Imv.Cli;

/// <summary>The exit codes scripts can rely on.</summary>
internal static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>The cluster answered no: a command rejected or expired, an unknown twin or organization, a ledger that does not verify.</summary>
    public const int Refused = 1;

    /// <summary>Bad usage: an unknown command or option, a missing argument, a bad value, a configuration problem.</summary>
    public const int BadUsage = 2;

    /// <summary>The cluster could not be reached.</summary>
    public const int Unreachable = 3;
}
