namespace Imv.Runtime;

/// <summary>Anything that can be addressed through a reference: grains and observers.</summary>
public interface IAddressable;

/// <summary>Base of every grain interface. Derive from one of the keyed variants.</summary>
public interface IGrain : IAddressable;

/// <summary>A grain identified by a string key.</summary>
public interface IGrainWithStringKey : IGrain;

/// <summary>A grain identified by a Guid key.</summary>
public interface IGrainWithGuidKey : IGrain;

/// <summary>A grain identified by a 64-bit integer key.</summary>
public interface IGrainWithIntegerKey : IGrain;

/// <summary>An object in a client or grain that grains call back through a reference
/// (<c>IGrainFactory.CreateObjectReference</c>). Methods should be one-way or return quickly.</summary>
public interface IGrainObserver : IAddressable;
