using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;

namespace Imv.Runtime.CodeGen;

/// <summary>Emits the registration of one grain class: its type name, interfaces, options and a factory
/// that calls its constructor with services and persistent states (no reflection at activation).</summary>
internal static class GrainClassEmitter
{
    public static void Emit(SourceProductionContext context, INamedTypeSymbol grain, CodecResolver resolver, StringBuilder registrations)
    {
        var full = CodecResolver.Full(grain);
        var typeName = grain.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == "Imv.Runtime.GrainTypeAttribute")
            ?.ConstructorArguments.FirstOrDefault().Value as string;
        if (typeName is null)
        {
            var n = grain.Name;
            if (n.EndsWith("Grain") && n.Length > 5) n = n.Substring(0, n.Length - 5);
            typeName = n.ToLowerInvariant();
        }
        var interfaces = grain.AllInterfaces.Where(GrainCodeGenerator.IsGrainOrObserverInterface).Select(i => $"typeof({CodecResolver.Full(i)})").ToList();
        var ctor = grain.InstanceConstructors.Where(c => c.DeclaredAccessibility == Accessibility.Public)
            .OrderByDescending(c => c.Parameters.Length).FirstOrDefault();
        if (ctor is null) return;
        var args = ctor.Parameters.Select(p =>
        {
            var attr = p.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == "Imv.Runtime.PersistentStateAttribute");
            if (attr is not null && p.Type is INamedTypeSymbol named && named.IsGenericType)
            {
                var stateName = attr.ConstructorArguments[0].Value as string ?? "state";
                var storage = attr.ConstructorArguments.Length > 1 ? attr.ConstructorArguments[1].Value as string : null;
                var storageLiteral = storage is null ? "null" : $"\"{storage}\"";
                var codec = resolver.Resolve(named.TypeArguments[0], out var reason);
                if (codec is null)
                {
                    context.ReportDiagnostic(Diagnostic.Create(Diagnostics.NotSerializable, p.Locations.FirstOrDefault(), $"persistent state '{stateName}' of {grain.ToDisplayString()}", named.TypeArguments[0].ToDisplayString(), reason));
                    codec = "object";
                }
                return $"context.GetPersistentState<{CodecResolver.Full(named.TypeArguments[0])}, {codec}>(\"{stateName}\", {storageLiteral})";
            }
            bool optional = p.NullableAnnotation == NullableAnnotation.Annotated || p.HasExplicitDefaultValue;
            return optional
                ? $"({CodecResolver.Full(p.Type)})services.GetService(typeof({CodecResolver.Full(p.Type)}))"
                : $"global::Imv.Runtime.GrainActivation.Required<{CodecResolver.Full(p.Type)}>(services, typeof({full}))";
        });
        bool reentrant = grain.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "Imv.Runtime.ReentrantAttribute")
            || AnyBase(grain, "Imv.Runtime.ReentrantAttribute");
        var worker = grain.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == "Imv.Runtime.StatelessWorkerAttribute");
        int workers = worker is null ? -1 : (worker.ConstructorArguments.FirstOrDefault().Value as int? ?? 0);
        var streams = grain.GetAttributes().Where(a => a.AttributeClass?.ToDisplayString() == "Imv.Runtime.ImplicitStreamSubscriptionAttribute")
            .Select(a => $"\"{a.ConstructorArguments[0].Value}\"").ToList();
        bool remindable = grain.AllInterfaces.Any(i => i.ToDisplayString() == "Imv.Runtime.IRemindable");
        registrations.AppendLine($"            global::Imv.Runtime.GrainTypeRegistry.RegisterGrainClass(new global::Imv.Runtime.GrainClassInfo(");
        registrations.AppendLine($"                typeof({full}), \"{typeName}\", new global::System.Type[] {{ {string.Join(", ", interfaces)} }},");
        registrations.AppendLine($"                static (services, context) => new {full}({string.Join(", ", args)}),");
        registrations.AppendLine($"                reentrant: {(reentrant ? "true" : "false")}, statelessWorkerMax: {workers}, isRemindable: {(remindable ? "true" : "false")},");
        registrations.AppendLine($"                implicitStreamNamespaces: new string[] {{ {string.Join(", ", streams)} }}));");
    }

    private static bool AnyBase(INamedTypeSymbol type, string attribute)
    {
        for (var b = type.BaseType; b is not null; b = b.BaseType)
            if (b.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == attribute)) return true;
        return false;
    }
}
