namespace Imv.Grains.Interfaces.Access;

/// <summary>Declares a grain method (or, on an interface, every method of it) callable only by grains and the silos'
/// own code: an Orleans client calling it is refused with <see cref="ImvAccessDeniedException"/>
/// (<see cref="AccessDenial.SiloOnly"/>). The plant's and the grid's internal paths (ingest, status pushes, ledger
/// segments) and administration (HTTP API only) are declared so.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Interface, AllowMultiple = false, Inherited = false)]
public sealed class SiloOnlyAttribute : Attribute;
