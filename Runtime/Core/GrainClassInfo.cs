namespace Imv.Runtime;

/// <summary>What the runtime knows about a grain class: written by the source generator, shared by all
/// activations of the class.</summary>
public sealed class GrainClassInfo
{
    /// <summary>Creates the description (called by generated code).</summary>
    public GrainClassInfo(Type grainClass, string grainType, Type[] interfaces,
        Func<IServiceProvider, IGrainActivationContext, object> factory,
        bool reentrant, int statelessWorkerMax, bool isRemindable, string[] implicitStreamNamespaces)
    {
        GrainClass = grainClass;
        GrainType = string.Intern(grainType);
        Interfaces = interfaces;
        Factory = factory;
        Reentrant = reentrant;
        StatelessWorkerMax = statelessWorkerMax < 0 ? -1 : statelessWorkerMax == 0 ? Environment.ProcessorCount : statelessWorkerMax;
        IsRemindable = isRemindable;
        ImplicitStreamNamespaces = implicitStreamNamespaces;
    }

    /// <summary>The grain class.</summary>
    public Type GrainClass { get; }

    /// <summary>The grain type name used in grain ids and storage.</summary>
    public string GrainType { get; }

    /// <summary>The grain interfaces the class implements.</summary>
    public Type[] Interfaces { get; }

    /// <summary>Constructs the grain object.</summary>
    public Func<IServiceProvider, IGrainActivationContext, object> Factory { get; }

    /// <summary>Calls interleave at await points.</summary>
    public bool Reentrant { get; }

    /// <summary>-1 for an ordinary grain; otherwise the most local activations of a stateless worker.</summary>
    public int StatelessWorkerMax { get; }

    /// <summary>True when the class implements IRemindable.</summary>
    public bool IsRemindable { get; }

    /// <summary>Stream namespaces the class subscribes to implicitly.</summary>
    public string[] ImplicitStreamNamespaces { get; }

    /// <summary>True for [StatelessWorker] classes.</summary>
    public bool IsStatelessWorker => StatelessWorkerMax > 0;
}

/// <summary>What a generated grain factory asks of the activation being created.</summary>
public interface IGrainActivationContext
{
    /// <summary>The persistent state named <paramref name="stateName"/> in storage provider
    /// <paramref name="storageName"/> (null: the default), decoded with <typeparamref name="TCodec"/>.</summary>
    IPersistentState<TState> GetPersistentState<TState, TCodec>(string stateName, string? storageName)
        where TState : new()
        where TCodec : Serialization.IFieldCodec<TState>;
}

/// <summary>Helpers for generated grain factories.</summary>
public static class GrainActivation
{
    /// <summary>Resolves a required constructor dependency, naming the grain class when it is missing.</summary>
    public static T Required<T>(IServiceProvider services, Type grainClass) where T : class =>
        services.GetService(typeof(T)) as T
        ?? throw new InvalidOperationException($"Grain class {grainClass.FullName} needs a {typeof(T).FullName} in its constructor, but no such service is registered with the silo.");
}
