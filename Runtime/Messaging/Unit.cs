namespace Imv.Runtime.Messaging;

/// <summary>The result of a call that returns no value.</summary>
public readonly struct Unit;
