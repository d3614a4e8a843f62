using Microsoft.CodeAnalysis;

namespace Imv.Runtime.CodeGen;

internal static class Diagnostics
{
    public static readonly DiagnosticDescriptor NotSerializable = new(
        "IMV001", "Type is not serializable",
        "{0}: type '{1}' is not serializable: {2}",
        "Imv.Serialization", DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor BadReturnType = new(
        "IMV002", "Grain method has an unsupported return type",
        "Grain method {0} returns '{1}'; grain methods return Task, Task<T>, ValueTask or ValueTask<T>",
        "Imv.Grains", DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor GenericNotSupported = new(
        "IMV003", "Generic grain interfaces and methods are not supported",
        "{0} is generic; grain interfaces and their methods must not be generic",
        "Imv.Grains", DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor DuplicateFieldId = new(
        "IMV004", "Duplicate field id",
        "{0} has more than one member with [Id({1})]",
        "Imv.Serialization", DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NoConstructor = new(
        "IMV005", "No way to construct a serialized type",
        "{0} needs a parameterless constructor or a constructor whose parameters match its [Id] members by name",
        "Imv.Serialization", DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor BadParameter = new(
        "IMV006", "Unsupported grain method parameter",
        "Grain method {0}: parameter '{1}' is ref/out/in or a CancellationToken; grain calls carry deadlines instead",
        "Imv.Grains", DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor OneWayReturnsValue = new(
        "IMV007", "One-way method returns a value",
        "[OneWay] method {0} must return Task or ValueTask",
        "Imv.Grains", DiagnosticSeverity.Error, isEnabledByDefault: true);
}
