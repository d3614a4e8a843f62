using System.Reflection;
using Imv.Grains.Interfaces.Access;
using Imv.Grains.Interfaces.Assets;
using Imv.Grains.Interfaces.Twins;
using Imv.Silo.Security;

namespace Imv.Silo.Tests.Security;

/// <summary>Every grain interface method an Orleans client can reach (every grain interface of the grid's assemblies:
/// the SDK exposes the grain factory) declares what a client needs to call it, next to the method: a
/// <see cref="ClientRightAttribute"/>, or <see cref="SiloOnlyAttribute"/>. A method without one would be refused to
/// clients anyway (deny by default); this test makes forgetting it fail here rather than in a user's hands.</summary>
public sealed class ClientMethodRulesTests
{
    private static IEnumerable<Type> GrainInterfaces() =>
        new[] { typeof(IMachineGrain).Assembly, typeof(ClientCallGate).Assembly, typeof(Imv.Grains.Machines.MachineGrain).Assembly }
            .SelectMany(a => a.GetTypes())
            .Where(t => t.IsInterface && typeof(IGrain).IsAssignableFrom(t) && t.Namespace?.StartsWith("Imv.", StringComparison.Ordinal) == true);

    [Fact]
    public void Every_grain_interface_method_declares_its_right_for_clients_or_that_it_is_for_silos_only()
    {
        var interfaces = GrainInterfaces().ToList();
        Assert.True(interfaces.Count >= 15, $"only {interfaces.Count} grain interfaces found");
        var undeclared = interfaces.SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(m => !ClientMethodRules.IsDeclared(m))
            .Select(m => $"{m.DeclaringType!.FullName}.{m.Name}")
            .ToList();
        Assert.True(undeclared.Count == 0, "Grain methods without [ClientRight] or [SiloOnly]: " + string.Join(", ", undeclared));
    }

    [Fact]
    public void An_argument_named_as_target_or_caller_is_a_string_and_silo_only_wins()
    {
        foreach (var m in GrainInterfaces().SelectMany(t => t.GetMethods()))
        {
            if (m.GetCustomAttribute<ClientRightAttribute>() is not { } rule) continue;
            var parameters = m.GetParameters();
            foreach (var index in new[] { rule.TargetArgument, rule.CallerArgument }.Where(i => i >= 0))
                Assert.True(index < parameters.Length && parameters[index].ParameterType == typeof(string), $"{m.DeclaringType!.Name}.{m.Name}: argument {index} is not a string");
            if (rule.Target is TargetKind.Twin or TargetKind.Organization or TargetKind.Loop or TargetKind.Asset or TargetKind.Self && rule.TargetArgument < 0)
                Assert.True(typeof(IGrainWithStringKey).IsAssignableFrom(m.DeclaringType), $"{m.DeclaringType!.Name}.{m.Name}: its target is the grain's key, which is not a string");
        }
        Assert.Null(ClientMethodRules.Of(typeof(ILedgerSegmentGrain).GetMethod(nameof(ILedgerSegmentGrain.GetEntriesAsync))!));
        Assert.Null(ClientMethodRules.Of(typeof(IMachineGrain).GetMethod(nameof(IMachineGrain.IngestAsync))!));
        Assert.Equal(Right.Command, ClientMethodRules.Of(typeof(IMachineGrain).GetMethod(nameof(IMachineGrain.SubmitCommandAsync))!)!.Right);
    }

    [Theory]
    [InlineData(Right.Read, false)]
    [InlineData(Right.Ledger, false)]
    [InlineData(Right.Command, true)]
    [InlineData(Right.Configure, true)]
    public void Calls_with_rights_that_change_the_grid_are_audited(Right right, bool audited) => Assert.Equal(audited, ClientMethodRules.Changes(right));
}
