using System.CommandLine;
using System.Text.Json;
using Imv.Client;
using Imv.Client.Json;
using Orleans.Runtime;

namespace Imv.Cli;

/// <summary>Runs a command's body on a connected client and turns failures into messages and exit codes.</summary>
internal static class CliAction
{
    /// <summary>Connects, runs <paramref name="body"/>, disconnects; maps failures to <see cref="ExitCodes"/>.</summary>
    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken, Func<ImvClient, bool, CancellationToken, Task<int>> body)
    {
        try
        {
            await using var imv = await GlobalOptions.ConnectAsync(parse, cancellationToken).ConfigureAwait(false);
            try
            {
                return await body(imv, parse.GetValue(GlobalOptions.Json), cancellationToken).ConfigureAwait(false);
            }
            catch (Imv.Grains.Interfaces.Access.ImvAccessDeniedException e)
            {
                throw new CliException(ExitCodes.Refused, e.Message);
            }
            catch (Exception e) when (e is SiloUnavailableException or Orleans.Runtime.Messaging.ConnectionFailedException or OrleansMessageRejectionException or TimeoutException)
            {
                throw new CliException(ExitCodes.Unreachable, $"The cluster stopped answering ({imv.Options.Describe()}): {e.GetType().Name}: {e.Message}");
            }
        }
        catch (CliException e)
        {
            await Console.Error.WriteLineAsync("imv: " + e.Message).ConfigureAwait(false);
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Ok;   // Ctrl+C ends a live view
        }
    }

    /// <summary>Writes one JSON line.</summary>
    public static void WriteJson<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, ImvJson.Options));
}
