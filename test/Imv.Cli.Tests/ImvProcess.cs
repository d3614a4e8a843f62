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

    public static async Task<Result> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(ToolPath.Value);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"imv {string.Join(' ', args)} did not end: {stdout}{stderr}");
        }
        process.WaitForExit();
        lock (stdout) lock (stderr) return new Result(process.ExitCode, stdout.ToString(), stderr.ToString());
    }
}
