using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Imv.Runtime.CodeGen;

/// <summary>Finds the codec type for a type used on the wire, or explains why there is none.</summary>
internal sealed class CodecResolver
{
    private const string Codecs = "global::Imv.Runtime.Serialization.Codecs.";
    private readonly Compilation _compilation;

    public CodecResolver(Compilation compilation) => _compilation = compilation;

    /// <summary>Enums met while resolving: each gets a generated codec in this assembly.</summary>
    public Dictionary<string, ITypeSymbol> Enums { get; } = new();

    /// <summary>Grain interfaces met as arguments.</summary>
    public HashSet<string> References { get; } = new();

    public static string Mangle(ITypeSymbol type)
    {
        var name = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", "");
        var chars = name.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray();
        return new string(chars);
    }

    public static string GeneratedCodecName(ITypeSymbol type) => "global::Imv.Generated.Codecs.Codec_" + Mangle(type);

    /// <summary>An enum marked [GenerateSerializer] and public gets one public codec, in its own assembly;
    /// any other enum gets an internal codec in each assembly that uses it, in a namespace of that assembly.</summary>
    public static bool IsSharedEnumCodec(ITypeSymbol type, IAssemblySymbol assembly) =>
        type.DeclaredAccessibility == Accessibility.Public &&
        type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "Imv.Runtime.GenerateSerializerAttribute");

    public static string LocalNamespace(IAssemblySymbol assembly) =>
        "global::Imv.Generated.Codecs.Local_" + new string(assembly.Name.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());

    public static string Full(ITypeSymbol type) => type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);

    /// <summary>The codec class (fully qualified) for <paramref name="type"/>, or null with a reason.</summary>
    public string? Resolve(ITypeSymbol type, out string? reason)
    {
        reason = null;
        switch (type.SpecialType)
        {
            case SpecialType.System_Boolean: return Codecs + "BooleanCodec";
            case SpecialType.System_Byte: return Codecs + "ByteCodec";
            case SpecialType.System_SByte: return Codecs + "SByteCodec";
            case SpecialType.System_Int16: return Codecs + "Int16Codec";
            case SpecialType.System_UInt16: return Codecs + "UInt16Codec";
            case SpecialType.System_Int32: return Codecs + "Int32Codec";
            case SpecialType.System_UInt32: return Codecs + "UInt32Codec";
            case SpecialType.System_Int64: return Codecs + "Int64Codec";
            case SpecialType.System_UInt64: return Codecs + "UInt64Codec";
            case SpecialType.System_Single: return Codecs + "SingleCodec";
            case SpecialType.System_Double: return Codecs + "DoubleCodec";
            case SpecialType.System_Decimal: return Codecs + "DecimalCodec";
            case SpecialType.System_Char: return Codecs + "CharCodec";
            case SpecialType.System_String: return Codecs + "StringCodec";
            case SpecialType.System_DateTime: return Codecs + "DateTimeCodec";
        }
        var full = Full(type);
        switch (full)
        {
            case "global::System.Guid": return Codecs + "GuidCodec";
            case "global::System.DateTimeOffset": return Codecs + "DateTimeOffsetCodec";
            case "global::System.TimeSpan": return Codecs + "TimeSpanCodec";
            case "global::Imv.Runtime.Messaging.Unit": return "global::Imv.Runtime.Serialization.UnitCodec";
        }
        if (type is IArrayTypeSymbol array)
        {
            if (array.Rank != 1) { reason = "multi-dimensional arrays are not supported"; return null; }
            if (array.ElementType.SpecialType == SpecialType.System_Byte) return Codecs + "ByteArrayCodec";
            var element = Resolve(array.ElementType, out reason);
            return element is null ? null : $"{Codecs}ArrayCodec<{Full(array.ElementType)}, {element}>";
        }
        if (type.TypeKind == TypeKind.Enum)
        {
            Enums[Mangle(type)] = type;
            return IsSharedEnumCodec(type, _compilation.Assembly) ? GeneratedCodecName(type) : LocalNamespace(_compilation.Assembly) + ".Codec_" + Mangle(type);
        }
        if (type is INamedTypeSymbol named)
        {
            if (named.IsGenericType)
            {
                var def = named.ConstructedFrom.ContainingNamespace.ToDisplayString() + "." + named.ConstructedFrom.MetadataName;
                var args = named.TypeArguments;
                string? Arg(int i, out string? r) => Resolve(args[i], out r);
                switch (def)
                {
                    case "System.Nullable`1":
                        {
                            var c = Arg(0, out reason);
                            return c is null ? null : $"{Codecs}NullableCodec<{Full(args[0])}, {c}>";
                        }
                    case "System.Collections.Generic.List`1":
                        {
                            var c = Arg(0, out reason);
                            return c is null ? null : $"{Codecs}ListCodec<{Full(args[0])}, {c}>";
                        }
                    case "System.Collections.Generic.IReadOnlyList`1":
                        {
                            var c = Arg(0, out reason);
                            return c is null ? null : $"{Codecs}ReadOnlyListCodec<{Full(args[0])}, {c}>";
                        }
                    case "System.Collections.Generic.HashSet`1":
                        {
                            var c = Arg(0, out reason);
                            return c is null ? null : $"{Codecs}HashSetCodec<{Full(args[0])}, {c}>";
                        }
                    case "System.Collections.Generic.Dictionary`2":
                    case "System.Collections.Generic.IReadOnlyDictionary`2":
                        {
                            var k = Arg(0, out reason);
                            if (k is null) return null;
                            var v = Arg(1, out reason);
                            if (v is null) return null;
                            var kind = def.Contains("IReadOnly") ? "ReadOnlyDictionaryCodec" : "DictionaryCodec";
                            return $"{Codecs}{kind}<{Full(args[0])}, {Full(args[1])}, {k}, {v}>";
                        }
                }
            }
            if (IsAddressable(named))
            {
                if (named.TypeKind != TypeKind.Interface) { reason = "grain references are passed as their grain interface"; return null; }
                References.Add(full);
                return $"global::Imv.Runtime.Serialization.GrainReferenceCodec<{full}>";
            }
            foreach (var attribute in named.GetAttributes())
            {
                var attributeName = attribute.AttributeClass?.ToDisplayString();
                if (attributeName == "Imv.Runtime.CustomCodecAttribute" && attribute.ConstructorArguments.Length == 1 &&
                    attribute.ConstructorArguments[0].Value is ITypeSymbol codec)
                    return Full(codec);
                if (attributeName == "Imv.Runtime.GenerateSerializerAttribute")
                    return GeneratedCodecName(named);
            }
        }
        reason = type.TypeKind == TypeKind.Interface
            ? "interfaces other than IReadOnlyList<T>, IReadOnlyDictionary<K,V> and grain interfaces are not serializable"
            : "it is not a built-in type and carries neither [GenerateSerializer] nor [CustomCodec]";
        return null;
    }

    public static bool IsAddressable(INamedTypeSymbol type)
    {
        if (type.ToDisplayString() == "Imv.Runtime.IAddressable") return true;
        return type.AllInterfaces.Any(i => i.ToDisplayString() == "Imv.Runtime.IAddressable");
    }
}
