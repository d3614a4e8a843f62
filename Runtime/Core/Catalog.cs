using System.Collections.Concurrent;

namespace Imv.Runtime;

/// <summary>The activations of one silo, by grain id; stateless workers by grain id in small pools.</summary>
internal sealed class Catalog(SiloRuntime silo)
{
    private readonly ConcurrentDictionary<GrainId, ActivationData> _activations = new();
    private readonly ConcurrentDictionary<GrainId, WorkerPool> _workers = new();

    public int Count => _activations.Count;

    public IEnumerable<ActivationData> All() => _activations.Values;

    public ActivationData GetOrCreate(GrainId id, GrainClassInfo classInfo, long epoch)
    {
        if (_activations.TryGetValue(id, out var existing)) return existing;
        var created = new ActivationData(silo, id, classInfo, epoch);
        return _activations.GetOrAdd(id, created);
    }

    public bool TryGet(GrainId id, out ActivationData? activation) => _activations.TryGetValue(id, out activation);

    public void Remove(ActivationData activation) =>
        _activations.TryRemove(new KeyValuePair<GrainId, ActivationData>(activation.GrainId, activation));

    public void Clear()
    {
        _activations.Clear();
        _workers.Clear();
    }

    /// <summary>An idle worker of the pool, or a new one while the pool is below its limit, else the least busy.</summary>
    public ActivationData GetStatelessWorker(GrainId id, GrainClassInfo classInfo)
    {
        var pool = _workers.GetOrAdd(id, static _ => new WorkerPool());
        lock (pool)
        {
            foreach (var w in pool.Workers)
                if (w.IsIdle && w.State == ActivationState.Valid) return w;
            if (pool.Workers.Count < classInfo.StatelessWorkerMax)
            {
                var created = new ActivationData(silo, id, classInfo, 0);
                pool.Workers.Add(created);
                return created;
            }
            return pool.Workers[pool.Next++ % pool.Workers.Count];
        }
    }

    private sealed class WorkerPool
    {
        public readonly List<ActivationData> Workers = [];
        public int Next;
    }
}
