namespace Imv.Cli;

/// <summary>Ends a command with a message and an exit code (<see cref="ExitCodes"/>).</summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
