namespace Imv.Gateways.Configuration;

/// <summary>The gateways' configuration is invalid: <see cref="Problems"/> lists every problem of every gateway,
/// one line each, naming its configuration key. A host prints them (no stack trace) and exits with code 2.</summary>
public sealed class GatewayConfigurationException : Exception
{
    /// <summary>Creates the exception from the list of problems.</summary>
    public GatewayConfigurationException(IReadOnlyList<string> problems)
        : base(Format(problems))
    {
        Problems = problems;
    }

    /// <summary>Creates the exception with one problem.</summary>
    public GatewayConfigurationException(string message) : base(message) => Problems = [message];

    /// <summary>Creates the exception with one problem and its cause.</summary>
    public GatewayConfigurationException(string message, Exception inner) : base(message, inner) => Problems = [message];

    /// <summary>Creates the exception without detail.</summary>
    public GatewayConfigurationException() : this("Invalid gateway configuration.") { }

    /// <summary>One line per problem: the key, its value, and what is wrong.</summary>
    public IReadOnlyList<string> Problems { get; }

    private static string Format(IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        return $"Invalid gateway configuration ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):" + Environment.NewLine
               + string.Join(Environment.NewLine, problems.Select(p => "  " + p));
    }
}
