using System.Diagnostics;
using System.Text;

namespace Imv.Cli.Tests;

/// <summary>The <c>imv</c> tool (imv.dll, copied next to the tests) run as a process.</summary>
public static class ImvProcess
{
    public sealed record Result(int ExitCode, string Out, string Err);

    /// <summary>imv.dll in the tool's own output directory (Cli/bin/{configuration}/{framework}), built by the project
    /// reference: there it runs with its own dependencies, as an installed tool does.</summary>
    private static readonly Lazy<string> ToolPath = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = dir.Name, configuration = dir.Parent!.Name;
        var root = dir;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Imv.Orleans.sln"))) root = root.Parent;
        var path = Path.Combine(root?.FullName ?? throw new InvalidOperationException("no Imv.Orleans.sln above the tests"), "Cli", "bin", configuration, framework, "imv.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build Cli/Imv.Cli.csproj first", path);
    });

    public static Task<Result> RunAsync(params string[] args) => RunAsync(null, args);

    /// <summary>Runs the tool with <paramref name="environment"/> added to its environment.</summary>
    public static async Task<Result> RunAsync(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        using var running = Start(environment, args);
        return await running.WaitAsync(TimeSpan.FromSeconds(90));
    }

    /// <summary>Starts the tool and returns while it runs (its output read as it comes).</summary>
    public static Running Start(params string[] args) => Start(null, args);

    /// <summary>Starts the tool with <paramref name="environment"/> added to its environment.</summary>
    public static Running Start(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        // Through env --default-signal=INT (the same process: env execs dotnet): a test run started as a background job
        // (`./test.sh &`, nohup, some CI runners) passes SIGINT on as ignored, and .NET then installs no Ctrl+C handler,
        // so the tool would never see the interrupt a Ctrl+C test sends.
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(ToolPath.Value);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // A key of the developer's shell must not stand in for the one a test gives (or withholds).
        start.Environment.Remove("IMV_API_KEY");
        if (environment is not null) foreach (var (name, value) in environment) start.Environment[name] = value;
        return new Running(Process.Start(start)!, args);
    }

    /// <summary>The tool running.</summary>
    public sealed class Running : IDisposable
    {
        private readonly Process _process;
        private readonly string[] _args;
        private readonly StringBuilder _stdout = new();
        private readonly StringBuilder _stderr = new();

        internal Running(Process process, string[] args)
        {
            _process = process;
            _args = args;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stdout) _stdout.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        /// <summary>Standard error so far.</summary>
        public string Err { get { lock (_stderr) return _stderr.ToString(); } }

        /// <summary>Sends SIGINT, as Ctrl+C in a terminal does.</summary>
        public void Interrupt()
        {
            using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
            kill.WaitForExit();
            Assert.Equal(0, kill.ExitCode);
        }

        /// <summary>Waits for the end (killed and failed after <paramref name="timeout"/>).</summary>
        public async Task<Result> WaitAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            try { await _process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                Assert.Fail($"imv {string.Join(' ', _args)} did not end: {_stdout}{_stderr}");
            }
            _process.WaitForExit();
            lock (_stdout) lock (_stderr) return new Result(_process.ExitCode, _stdout.ToString(), _stderr.ToString());
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
    }
}
