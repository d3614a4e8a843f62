using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using Imv.Runtime.Messaging;

namespace Imv.Runtime;

/// <summary>The process-wide table of generated grain interfaces (proxies, request factories) and grain
/// classes. Filled by the generated module initializer of each assembly.</summary>
public static class GrainTypeRegistry
{
    private static readonly ConcurrentDictionary<Type, GrainInterfaceInfo> InterfacesByType = new();
    private static readonly ConcurrentDictionary<uint, GrainInterfaceInfo> InterfacesById = new();
    private static readonly ConcurrentDictionary<string, GrainClassInfo> ClassesByType = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<Type, GrainClassInfo> ClassesByInterface = new();
    private static readonly ConcurrentDictionary<Type, string> AmbiguousInterfaces = new();

    /// <summary>Registers a grain or observer interface (generated code calls this).</summary>
    public static void RegisterInterface(Type interfaceType, uint interfaceId, string name,
        Func<IGrainReferenceRuntime, GrainId, GrainReference> proxyFactory, Func<uint, Message?> requestFactory)
    {
        var info = new GrainInterfaceInfo(interfaceType, interfaceId, name, proxyFactory, requestFactory);
        InterfacesByType[interfaceType] = info;
        InterfacesById[interfaceId] = info;
    }

    /// <summary>Registers a grain class (generated code calls this).</summary>
    public static void RegisterGrainClass(GrainClassInfo info)
    {
        if (ClassesByType.TryGetValue(info.GrainType, out var existing) && existing.GrainClass != info.GrainClass)
            throw new InvalidOperationException($"Grain classes {existing.GrainClass.FullName} and {info.GrainClass.FullName} both have grain type name '{info.GrainType}'; give one a [GrainType] attribute.");
        ClassesByType[info.GrainType] = info;
        foreach (var iface in info.Interfaces)
        {
            if (ClassesByInterface.TryGetValue(iface, out var other) && other.GrainClass != info.GrainClass)
                AmbiguousInterfaces[iface] = $"{other.GrainClass.FullName} and {info.GrainClass.FullName}";
            ClassesByInterface[iface] = info;
        }
    }

    /// <summary>Runs the generated registrations of the entry assembly and of every assembly it references,
    /// directly or not, that builds on Imv.Runtime: the grain classes of an application are found without
    /// listing them. Reflection here runs once, at silo start, never on the call path.</summary>
    public static void RegisterApplicationAssemblies()
    {
        var runtimeName = typeof(GrainTypeRegistry).Assembly.GetName().Name;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<Assembly>();
        foreach (var a in AppDomain.CurrentDomain.GetAssemblies()) pending.Push(a);
        if (Assembly.GetEntryAssembly() is { } entry) pending.Push(entry);
        // The compiler drops references to assemblies no code names (a host that only holds grain classes),
        // so the application folder is read too: its assemblies that reference Imv.Runtime are loaded.
        foreach (var path in Directory.EnumerateFiles(AppContext.BaseDirectory, "*.dll"))
        {
            var file = Path.GetFileName(path);
            if (file.StartsWith("System.", StringComparison.Ordinal) || file.StartsWith("Microsoft.", StringComparison.Ordinal)) continue;
            if (ReferencesRuntime(path, runtimeName!))
            {
                try { pending.Push(Assembly.LoadFrom(path)); }
                catch (BadImageFormatException) { }
            }
        }
        while (pending.Count > 0)
        {
            var assembly = pending.Pop();
            if (assembly.IsDynamic || !seen.Add(assembly.FullName ?? "")) continue;
            var references = assembly.GetReferencedAssemblies();
            if (!references.Any(r => r.Name == runtimeName) && assembly.GetName().Name != runtimeName) continue;
            EnsureRegistered(assembly);
            foreach (var reference in references)
            {
                if (seen.Contains(reference.FullName)) continue;
                try { pending.Push(Assembly.Load(reference)); }
                catch (FileNotFoundException) { }
            }
        }
    }

    private static bool ReferencesRuntime(string path, string runtimeName)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var pe = new System.Reflection.PortableExecutable.PEReader(stream);
            if (!pe.HasMetadata) return false;
            var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
            foreach (var handle in metadata.AssemblyReferences)
                if (metadata.GetString(metadata.GetAssemblyReference(handle).Name) == runtimeName) return true;
            return false;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }

    /// <summary>Makes sure the generated registrations of <paramref name="assembly"/> ran.</summary>
    public static void EnsureRegistered(Assembly assembly) => RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);

    /// <summary>The generated description of a grain interface; throws naming the interface when it has none.</summary>
    public static GrainInterfaceInfo GetInterface(Type interfaceType)
    {
        if (InterfacesByType.TryGetValue(interfaceType, out var info)) return info;
        EnsureRegistered(interfaceType.Assembly);
        if (InterfacesByType.TryGetValue(interfaceType, out info)) return info;
        throw new InvalidOperationException($"{interfaceType.FullName} is not a registered grain interface: it must derive from IGrainWithStringKey/GuidKey/IntegerKey or IGrainObserver, and its project must run the Imv source generator (ImvCodeGen=true).");
    }

    /// <summary>A grain interface by id; null when unknown.</summary>
    public static GrainInterfaceInfo? FindInterface(uint interfaceId) => InterfacesById.GetValueOrDefault(interfaceId);

    /// <summary>The grain class that implements <paramref name="interfaceType"/>; throws naming it when none or several do.</summary>
    public static GrainClassInfo GetClassForInterface(Type interfaceType)
    {
        if (AmbiguousInterfaces.TryGetValue(interfaceType, out var both))
            throw new InvalidOperationException($"Grain interface {interfaceType.FullName} is implemented by several grain classes ({both}); call each through its own interface.");
        if (ClassesByInterface.TryGetValue(interfaceType, out var info)) return info;
        throw new InvalidOperationException($"No grain class implementing {interfaceType.FullName} is registered with this silo; add the assembly with the grain class to the silo (SiloOptions application assemblies).");
    }

    /// <summary>Grain classes subscribed implicitly to a stream namespace.</summary>
    public static IEnumerable<GrainClassInfo> ClassesWithImplicitSubscription(string streamNamespace)
    {
        foreach (var c in ClassesByType.Values)
            if (Array.IndexOf(c.ImplicitStreamNamespaces, streamNamespace) >= 0) yield return c;
    }

    /// <summary>A grain class by grain type name; null when unknown.</summary>
    public static GrainClassInfo? FindClass(string grainType) => ClassesByType.GetValueOrDefault(grainType);
}

/// <summary>A generated grain interface: its proxy factory and the factory of its request types.</summary>
/// <param name="InterfaceType">The interface.</param>
/// <param name="InterfaceId">Its stable id.</param>
/// <param name="Name">Its full name.</param>
/// <param name="ProxyFactory">Creates a proxy.</param>
/// <param name="RequestFactory">Creates an empty request for a method id (decoding remote calls).</param>
public sealed record GrainInterfaceInfo(Type InterfaceType, uint InterfaceId, string Name,
    Func<IGrainReferenceRuntime, GrainId, GrainReference> ProxyFactory, Func<uint, Message?> RequestFactory);
