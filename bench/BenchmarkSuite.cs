using BenchmarkDotNet.Running;

namespace Imv.Bench;

/// <summary>The BenchmarkDotNet suites: `dotnet run -c Release --project bench -- bdn [--filter *Ping*]`.</summary>
internal static class BenchmarkSuite
{
    public static int Run(string[] args)
    {
        BenchmarkSwitcher.FromAssembly(typeof(BenchmarkSuite).Assembly).Run(args.Length == 0 ? ["--filter", "*"] : args);
        return 0;
    }
}
