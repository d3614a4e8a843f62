namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>Reads one element of a structure array.</summary>
internal delegate T ElementReader<T>(ref UaBinaryReader reader);
