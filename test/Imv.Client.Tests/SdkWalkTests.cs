using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Imv.Client.Tests;

/// <summary>docs/sdk.md's walk, as written: <c>dotnet new console</c>, <c>dotnet add reference</c> to Client/, its
/// Program.cs, <c>dotnet run</c> against the silo of the collection; the program reads, watches and commands a twin.</summary>
[Collection(SiloCollection.Name)]
public sealed partial class SdkWalkTests(SiloWithClient fixture)
{
    [Fact]
    public async Task The_walk_of_docs_sdk_md_runs_against_a_silo()
    {
        var repo = RepoRoot();
        var doc = await File.ReadAllTextAsync(Path.Combine(repo, "docs", "sdk.md"));
        var program = CSharpBlock().Match(doc);
        Assert.True(program.Success, "docs/sdk.md has no ```csharp block");
        var dir = Path.Combine(Path.GetTempPath(), "imv-sdk-walk", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            await RunAsync(dir, ["new", "console", "-n", "PlantWatcher"], TimeSpan.FromMinutes(2));
            var project = Path.Combine(dir, "PlantWatcher");
            await RunAsync(project, ["add", "reference", Path.Combine(repo, "Client", "Imv.Client.csproj")], TimeSpan.FromMinutes(2));
            await File.WriteAllTextAsync(Path.Combine(project, "Program.cs"), program.Groups[1].Value);
            // As the walk says: an administrator creates a key for the avatar the program acts as (POST /api/keys).
            var key = (await fixture.Silo.Admin.PostAsync("/api/keys", new { avatarId = "manager", name = "PlantWatcher" }, 201)).GetProperty("key").GetString()!;
            var output = await RunAsync(project, ["run", "-c", "Release", "--", "127.0.0.1:" + fixture.GatewayPort, "site-1.line-01.machine-003"], TimeSpan.FromMinutes(4),
                new() { ["IMV_API_KEY"] = key });
            Assert.Contains("temperature = ", output, StringComparison.Ordinal);
            Assert.True(Regex.Matches(output, "^changed: ", RegexOptions.Multiline).Count >= 3, output);
            Assert.Contains("command Applied", output, StringComparison.Ordinal);
            Assert.Contains("final: Applied", output, StringComparison.Ordinal);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task<string> RunAsync(string workingDirectory, string[] args, TimeSpan timeout, Dictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment.Remove("IMV_API_KEY");
        if (environment is not null) foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet {string.Join(' ', args)} did not finish within {timeout}: {output}");
        }
        lock (output)
        {
            Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', args)} exited {process.ExitCode}: {output}");
            return output.ToString();
        }
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Imv.Orleans.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("The repository root (Imv.Orleans.sln) is not above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("```csharp\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
