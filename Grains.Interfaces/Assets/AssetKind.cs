namespace Imv.Grains.Interfaces.Assets;

/// <summary>The kinds of industrial asset.</summary>
public enum AssetKind : byte
{
    /// <summary>A unique virtual possession (a twin's model, a virtual machine, a slot): held whole by one wallet.</summary>
    VirtualProperty = 0,
    /// <summary>A unique piece of intellectual property (a recipe, a process, a design): held whole by one wallet.</summary>
    IntellectualProperty = 1,
    /// <summary>A fungible currency: wallets hold amounts of it, in minor units.</summary>
    DigitalCurrency = 2,
}
