namespace Imv.Silo.Hosting;

/// <summary>The configuration cannot start a silo: every problem found, each naming its key. The main job prints
/// them without a stack trace and exits with code 2.</summary>
public sealed class SiloConfigurationException : Exception
{
    /// <summary>Creates the exception from its problems.</summary>
    public SiloConfigurationException(IReadOnlyList<string> problems)
        : base(Format(problems)) => Problems = problems;

    /// <summary>Creates the exception with one problem.</summary>
    public SiloConfigurationException(string problem) : this([problem]) { }

    /// <summary>Creates an empty exception (for serializers); prefer the list constructor.</summary>
    public SiloConfigurationException() : this([]) { }

    /// <summary>Creates the exception with one problem and its cause.</summary>
    public SiloConfigurationException(string problem, Exception innerException) : base(Format([problem]), innerException) => Problems = [problem];

    /// <summary>Every problem, one line each.</summary>
    public IReadOnlyList<string> Problems { get; }

    private static string Format(IReadOnlyList<string> problems) =>
        problems.Count == 1 ? "Invalid configuration: " + problems[0]
        : $"Invalid configuration ({problems.Count} problems):" + string.Concat(problems.Select(p => Environment.NewLine + "  - " + p));
}
