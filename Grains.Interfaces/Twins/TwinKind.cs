namespace Imv.Grains.Interfaces.Twins;

/// <summary>What an industrial virtual entity stands for (ITU FG-MV: material, equipment, product).</summary>
public enum TwinKind : byte
{
    /// <summary>A machine, a device, a production resource.</summary>
    Equipment = 0,
    /// <summary>A raw material or a consumable (a batch, a coil, a tank's content).</summary>
    Material = 1,
    /// <summary>A product or a work piece being made.</summary>
    Product = 2,
}
