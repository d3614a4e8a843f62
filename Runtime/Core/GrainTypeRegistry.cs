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
