namespace Imv.Runtime;

/// <summary>Creates references to grains and observers. References are cheap, can be stored, compared
/// and passed as arguments; creating one does not activate the grain.</summary>
public interface IGrainFactory
{
    /// <summary>A reference to the grain with a string key.</summary>
    TGrainInterface GetGrain<TGrainInterface>(string primaryKey) where TGrainInterface : IGrainWithStringKey;

    /// <summary>A reference to the grain with a Guid key.</summary>
    TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey) where TGrainInterface : IGrainWithGuidKey;

    /// <summary>A reference to the grain with an integer key.</summary>
    TGrainInterface GetGrain<TGrainInterface>(long primaryKey) where TGrainInterface : IGrainWithIntegerKey;

    /// <summary>Makes a local object callable through a reference by grains. Keep the returned
    /// reference (and the object) alive as long as it should receive calls; dispose with <see cref="DeleteObjectReference{T}"/>.</summary>
    TGrainObserverInterface CreateObjectReference<TGrainObserverInterface>(TGrainObserverInterface obj) where TGrainObserverInterface : IGrainObserver;

    /// <summary>Stops routing calls to an object made callable by <see cref="CreateObjectReference{T}"/>.</summary>
    void DeleteObjectReference<TGrainObserverInterface>(TGrainObserverInterface reference) where TGrainObserverInterface : IGrainObserver;
}
