using Microsoft.Extensions.Options;

namespace Imv.Silo.Hosting;

/// <summary>Turns an exception that stopped the silo from starting into an exit code and the message a user acts on.</summary>
public static class StartFailure
{
    /// <summary>Exit code 2 for configuration problems (every one listed), 1 for anything else; the message of the
    /// innermost cause that names what went wrong.</summary>
    public static (int ExitCode, string Message) Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var cause = Innermost(exception);
        return cause switch
        {
            SiloConfigurationException or OrleansConfigurationException or OptionsValidationException => (2, cause.Message),
            _ => (1, $"Imv silo did not start: {cause.Message}"),
        };
    }

    private static Exception Innermost(Exception exception)
    {
        var e = exception;
        while (true)
        {
            if (e is SiloConfigurationException or OrleansConfigurationException or OptionsValidationException) return e;
            if (e is AggregateException { InnerExceptions.Count: 1 } a) { e = a.InnerExceptions[0]; continue; }
            // Orleans wraps a lifecycle participant's failure; the participant's own exception names the problem.
            if (e.InnerException is not null && (e is AggregateException || e.GetType().Namespace?.StartsWith("Orleans", StringComparison.Ordinal) == true))
            {
                e = e.InnerException;
                continue;
            }
            return e;
        }
    }
}
