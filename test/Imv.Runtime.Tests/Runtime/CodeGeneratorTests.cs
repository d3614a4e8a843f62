using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Imv.Runtime.Tests.Runtime;

/// <summary>Runs the source generator on small programs, as the compiler does in a build.</summary>
public sealed class CodeGeneratorTests
{
    private static IIncrementalGenerator LoadGenerator()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Imv.Orleans.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var config = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(dir!.FullName, "Runtime.CodeGen", "bin", config, "netstandard2.0", "Imv.Runtime.CodeGen.dll");
        var assembly = Assembly.LoadFrom(path);
        return (IIncrementalGenerator)Activator.CreateInstance(assembly.GetType("Imv.Runtime.CodeGen.GrainCodeGenerator")!)!;
    }

    private static (Compilation Output, IReadOnlyList<Diagnostic> Diagnostics) Run(string source)
    {
        var references = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => !a.IsDynamic && !string.IsNullOrEmpty(a.Location))
            .Select(a => MetadataReference.CreateFromFile(a.Location))
            .Append(MetadataReference.CreateFromFile(typeof(Grain).Assembly.Location));
        var compilation = CSharpCompilation.Create("Probe", [CSharpSyntaxTree.ParseText(source)], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var driver = CSharpGeneratorDriver.Create(LoadGenerator());
        driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return (output, diagnostics);
    }

    [Fact]
    public void A_non_serializable_argument_is_a_compile_error_naming_method_and_type()
    {
        var (_, diagnostics) = Run("""
            using System.Threading.Tasks;
            using Imv.Runtime;
            public interface IBadGrain : IGrainWithStringKey { Task SendAsync(System.IO.Stream payload); }
            """);
        var error = Assert.Single(diagnostics, d => d.Id == "IMV001");
        Assert.Equal(DiagnosticSeverity.Error, error.Severity);
        var message = error.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("IBadGrain.SendAsync", message);
        Assert.Contains("System.IO.Stream", message);
    }

    [Fact]
    public void A_non_serializable_return_type_and_a_bad_return_kind_are_errors()
    {
        var (_, diagnostics) = Run("""
            using System.Threading.Tasks;
            using Imv.Runtime;
            public interface IBadGrain : IGrainWithStringKey
            {
                Task<object> GetAsync();
                int NotAsync();
            }
            """);
        Assert.Contains(diagnostics, d => d.Id == "IMV001" && d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("IBadGrain.GetAsync", StringComparison.Ordinal));
        Assert.Contains(diagnostics, d => d.Id == "IMV002" && d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("IBadGrain.NotAsync", StringComparison.Ordinal));
    }

    [Fact]
    public void A_valid_grain_compiles_with_its_generated_proxy_and_codec()
    {
        var (output, diagnostics) = Run("""
            using System.Collections.Generic;
            using System.Threading.Tasks;
            using Imv.Runtime;
            [GenerateSerializer] public sealed record Reading([property: Id(0)] string Tag, [property: Id(1)] double Value, [property: Id(2)] List<int>? Marks);
            public interface IGoodGrain : IGrainWithStringKey { Task<Reading> EchoAsync(Reading r, IGoodGrain self); [OneWay] Task FireAsync(); }
            public sealed class GoodGrain : Grain, IGoodGrain
            {
                public Task<Reading> EchoAsync(Reading r, IGoodGrain self) => Task.FromResult(r);
                public Task FireAsync() => Task.CompletedTask;
            }
            """);
        Assert.Empty(diagnostics);
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
