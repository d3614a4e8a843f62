using Imv.Grains.Interfaces.Avatars;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Grains.Commands;

/// <summary>The checks a command passes before it may leave a twin, in this order: the issuer exists and may
/// command the twin; the operator lease; the coupling mode; the interlocks (the tag is writable, the value
/// has its data type and lies within its limits). Each returns null when passed, or the rejection reason
/// (prefixed with the check's name: "issuer:", "lease:", "coupling:", "interlock:").</summary>
public static class CommandChecks
{
    /// <summary>Runs every check in order; the first failure's reason, or null.</summary>
    /// <param name="request">The command.</param>
    /// <param name="twinId">The twin.</param>
    /// <param name="configuration">The twin's configuration.</param>
    /// <param name="avatar">The issuing avatar's profile when the issuer is an avatar (null when it does not exist).</param>
    /// <param name="lease">The twin's lease.</param>
    /// <param name="metadata">The metadata of the tag written; null when the twin has no such tag.</param>
    /// <param name="now">The twin's clock.</param>
    /// <param name="organizationPath">The path of the twin's organization (root first, ending with the
    /// organization itself), when the twin fetched it; see <see cref="Issuer"/>.</param>
    public static string? Evaluate(CommandRequest request, string twinId, TwinConfiguration configuration, AvatarProfile? avatar,
        OperatorLeaseBook lease, TagMetadata? metadata, DateTimeOffset now, IReadOnlyList<string>? organizationPath = null)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return Issuer(request, twinId, configuration, avatar, organizationPath)
            ?? lease.Blocks(request.IssuerKind, request.Issuer, now)
            ?? Coupling(configuration)
            ?? Interlocks(request, configuration, metadata);
    }

    /// <summary>Whether the issuer exists and may command the twin. A control loop must be listed in the twin's
    /// <see cref="TwinConfiguration.ControlLoops"/>; an avatar must be registered and active, and be listed in
    /// <see cref="TwinConfiguration.AuthorizedIssuers"/> or have in its scopes the twin, the twin's organization,
    /// or any organization containing it (a scope on a factory covers its workshops, lines and their machines).</summary>
    /// <param name="request">The command.</param>
    /// <param name="twinId">The twin.</param>
    /// <param name="configuration">The twin's configuration.</param>
    /// <param name="avatar">The issuing avatar's profile (null when it does not exist).</param>
    /// <param name="organizationPath">The path of the twin's organization, root first, ending with the
    /// organization itself (<c>IVirtualOrganizationGrain.GetPathAsync</c>); null when not fetched, in which case
    /// only the twin's direct organization is matched. <see cref="NeedsOrganizationPath"/> tells when it matters.</param>
    public static string? Issuer(CommandRequest request, string twinId, TwinConfiguration configuration, AvatarProfile? avatar,
        IReadOnlyList<string>? organizationPath = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(configuration);
        if (string.IsNullOrEmpty(request.Issuer)) return "issuer: missing";
        if (request.IssuerKind == IssuerKind.ControlLoop)
            return Contains(configuration.ControlLoops, request.Issuer) ? null : $"issuer: control loop '{request.Issuer}' may not command this twin";
        if (request.IssuerKind != IssuerKind.Avatar) return $"issuer: unknown issuer kind {request.IssuerKind}";
        if (avatar is null) return $"issuer: avatar '{request.Issuer}' does not exist";
        if (!avatar.Active) return $"issuer: avatar '{request.Issuer}' is inactive";
        // An administrator holds every right everywhere (it could give itself any scope anyway); its commands are
        // still recorded under its own id.
        if (avatar.Role == AvatarRole.Administrator) return null;
        if (DirectlyAuthorized(request, twinId, configuration, avatar)) return null;
        if (organizationPath is not null)
            for (int i = 0; i < organizationPath.Count; i++)
                if (Contains(avatar.Scopes, organizationPath[i])) return null;
        var scopes = avatar.Scopes is { Count: > 0 } s ? "[" + string.Join(", ", s) + "]" : "none";
        var where = configuration.OrganizationId is not { } org ? $"twin '{twinId}' (which belongs to no organization)"
            : organizationPath is { Count: > 0 } path ? $"twin '{twinId}' or any organization containing it ({string.Join(" > ", path)})"
            : $"twin '{twinId}' or its organization '{org}'";
        return $"issuer: avatar '{request.Issuer}' may not command this twin: its scopes ({scopes}) cover neither {where}";
    }

    /// <summary>Whether <see cref="Issuer"/> could decide differently with the twin's organization path: the
    /// issuer is an active avatar with scopes, not authorized directly, and the twin belongs to an organization.
    /// The twin fetches the path only then, so a command authorized directly costs no call to the organization.</summary>
    public static bool NeedsOrganizationPath(CommandRequest request, string twinId, TwinConfiguration configuration, AvatarProfile? avatar)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(configuration);
        return request.IssuerKind == IssuerKind.Avatar && avatar is { Active: true, Scopes.Count: > 0 } && avatar.Role != AvatarRole.Administrator
            && configuration.OrganizationId is not null && !DirectlyAuthorized(request, twinId, configuration, avatar);
    }

    private static bool DirectlyAuthorized(CommandRequest request, string twinId, TwinConfiguration configuration, AvatarProfile avatar) =>
        Contains(configuration.AuthorizedIssuers, request.Issuer!)
        || Contains(avatar.Scopes, twinId)
        || (configuration.OrganizationId is { } org && Contains(avatar.Scopes, org));

    /// <summary>Whether the coupling mode lets commands out.</summary>
    public static string? Coupling(TwinConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration.Coupling == CouplingMode.OneWayInfluence ? "coupling: the twin is coupled one way (telemetry in, no commands out)" : null;
    }

    /// <summary>Whether the command is well formed and within the tag's data type and limits, or calls an allowed method.</summary>
    public static string? Interlocks(CommandRequest request, TwinConfiguration configuration, TagMetadata? metadata)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(configuration);
        if ((request.Tag is null) == (request.Method is null)) return "interlock: a command either writes a tag or calls a method";
        if (request.Method is { } method)
        {
            if (FindMethod(configuration, method) is { } described) return Arguments(request, described);
            return Contains(configuration.Methods, method) ? null : $"interlock: method '{method}' is not allowed on this twin";
        }
        if (metadata is null) return $"interlock: unknown tag '{request.Tag}'";
        if (!metadata.Writable) return $"interlock: tag '{request.Tag}' is not writable";
        var value = request.Value;
        if (value.IsNone) return "interlock: no value to write";
        bool typeOk = value.DataType == metadata.DataType
            || (metadata.DataType == TagDataType.Double && value.DataType == TagDataType.Integer);
        if (!typeOk) return $"interlock: value is {value.DataType}, tag '{request.Tag}' is {metadata.DataType}";
        foreach (double number in Numbers(value))
        {
            if (double.IsNaN(number) || double.IsInfinity(number)) return "interlock: value is not a finite number";
            if (metadata.Minimum is { } min && number < min) return $"interlock: value {number} is below the minimum {min} of tag '{request.Tag}'";
            if (metadata.Maximum is { } max && number > max) return $"interlock: value {number} is above the maximum {max} of tag '{request.Tag}'";
        }
        return null;
    }

    /// <summary>The method <paramref name="name"/> as the twin's gateway (the one commands go out through) described
    /// it; null when it did not (the method may still be allowed by name in <see cref="TwinConfiguration.Methods"/>).</summary>
    public static MethodMetadata? FindMethod(TwinConfiguration configuration, string? name)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (name is null || configuration.DescribedMethods is not { Count: > 0 } described) return null;
        foreach (var g in described)
        {
            if (configuration.Gateway is { } gateway && !string.Equals(g.Gateway, gateway, StringComparison.Ordinal)) continue;
            foreach (var m in g.Methods) if (string.Equals(m.Name, name, StringComparison.Ordinal)) return m;
        }
        return null;
    }

    /// <summary>Whether a call's arguments fit the described method's input arguments (their number, and each
    /// value's type: an integer is widened into a double argument; an argument of rank -1 takes a single value
    /// or an array). A method whose arguments are not known (<see cref="MethodMetadata.ArgumentsKnown"/> false)
    /// takes them as given: the device judges them.</summary>
    public static string? Arguments(CommandRequest request, MethodMetadata method)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(method);
        if (!method.ArgumentsKnown) return null;
        var given = request.Arguments ?? [];
        var declared = method.InputArguments;
        if (given.Count != declared.Count)
            return $"interlock: method '{method.Name}' takes {declared.Count} argument{(declared.Count == 1 ? "" : "s")}"
                + (declared.Count == 0 ? "" : $" ({string.Join(", ", declared.Select(a => $"{a.Name} {a.DataType}"))})") + $", not {given.Count}";
        for (int i = 0; i < declared.Count; i++)
        {
            var a = declared[i];
            var v = given[i];
            if (!Fits(v.DataType, a.DataType) && !(a.ArrayRank < 0 && Fits(v.DataType, ArrayOf(a.DataType))))
                return $"interlock: argument {i + 1} '{a.Name}' of method '{method.Name}' is {a.DataType}, not {v.DataType}";
        }
        return null;
    }

    private static bool Fits(TagDataType given, TagDataType declared) =>
        given == declared
        || (declared == TagDataType.Double && given == TagDataType.Integer)
        || (declared == TagDataType.DoubleArray && given == TagDataType.IntegerArray);

    private static TagDataType ArrayOf(TagDataType scalar) => scalar switch
    {
        TagDataType.Boolean => TagDataType.BooleanArray,
        TagDataType.Integer => TagDataType.IntegerArray,
        TagDataType.Double => TagDataType.DoubleArray,
        TagDataType.String => TagDataType.StringArray,
        _ => scalar,
    };

    /// <summary>A method call's arguments in the described arguments' types (an integer given for a double
    /// argument becomes a double); as given when the method or its arguments are not known.</summary>
    public static IReadOnlyList<TagValue> NormalizeArguments(IReadOnlyList<TagValue>? arguments, MethodMetadata? method)
    {
        if (arguments is null || arguments.Count == 0) return [];
        if (method is not { ArgumentsKnown: true } || method.InputArguments.Count != arguments.Count) return arguments;
        TagValue[]? normalized = null;
        for (int i = 0; i < arguments.Count; i++)
        {
            var v = arguments[i];
            var declared = method.InputArguments[i].DataType;
            TagValue n = v;
            if (declared == TagDataType.Double && v.DataType == TagDataType.Integer) n = TagValue.FromDouble(v.AsInteger());
            else if ((declared == TagDataType.DoubleArray || (declared == TagDataType.Double && method.InputArguments[i].ArrayRank < 0))
                && v.DataType == TagDataType.IntegerArray)
                n = TagValue.FromArray(Array.ConvertAll((long[])v.AsArray(), l => (double)l));
            if (normalized is null && n.DataType != v.DataType) normalized = [.. arguments];
            if (normalized is not null) normalized[i] = n;
        }
        return normalized ?? arguments;
    }

    /// <summary>The value in the tag's own data type (an integer written to a double tag becomes a double).</summary>
    public static TagValue Normalize(TagValue value, TagMetadata? metadata) =>
        metadata?.DataType == TagDataType.Double && value.DataType == TagDataType.Integer ? TagValue.FromDouble(value.AsInteger()) : value;

    private static IEnumerable<double> Numbers(TagValue value)
    {
        switch (value.DataType)
        {
            case TagDataType.Integer or TagDataType.Double:
                value.TryGetNumber(out double n);
                yield return n;
                break;
            case TagDataType.IntegerArray:
                foreach (long l in (long[])value.AsArray()) yield return l;
                break;
            case TagDataType.DoubleArray:
                foreach (double d in (double[])value.AsArray()) yield return d;
                break;
        }
    }

    private static bool Contains(IReadOnlyList<string>? list, string item)
    {
        if (list is null) return false;
        for (int i = 0; i < list.Count; i++) if (string.Equals(list[i], item, StringComparison.Ordinal)) return true;
        return false;
    }
}
