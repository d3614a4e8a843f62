namespace Imv.Silo.Security;

/// <summary>What an endpoint's target is, for the scope check.</summary>
public enum TargetKind
{
    /// <summary>No single target (a listing, a creation whose target is in the body).</summary>
    None,
    /// <summary>A twin id.</summary>
    Twin,
    /// <summary>An organization id.</summary>
    Organization,
    /// <summary>A control loop id (its output twin is the scope).</summary>
    Loop,
    /// <summary>An asset id (shared by id, or by the twin it is bound to).</summary>
    Asset,
    /// <summary>An avatar id that must be the caller's own unless the reach is Everywhere.</summary>
    Self,
    /// <summary>The target is in the body: the gate checks the role's reach only, the endpoint checks the scope.</summary>
    Body,
}

/// <summary>Endpoint metadata: the right a request needs, and where the target's id is (a route value).</summary>
/// <param name="Right">The right.</param>
/// <param name="Target">What the route value names.</param>
/// <param name="RouteValue">The route value holding the target id.</param>
public sealed record AccessRule(Right Right, TargetKind Target = TargetKind.None, string RouteValue = "id");

/// <summary>Endpoint metadata: no authentication (the health probe, the login).</summary>
public sealed record PublicAccess;

/// <summary>Declares the access rule of endpoints.</summary>
public static class AccessExtensions
{
    /// <summary>Requires <paramref name="right"/>, on the target <paramref name="target"/> named by route value <paramref name="routeValue"/>.</summary>
    public static TBuilder Requires<TBuilder>(this TBuilder builder, Right right, TargetKind target = TargetKind.None, string routeValue = "id")
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(e => e.Metadata.Add(new AccessRule(right, target, routeValue)));
        return builder;
    }

    /// <summary>Opens the endpoint to anyone.</summary>
    public static TBuilder Public<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(e => e.Metadata.Add(new PublicAccess()));
        return builder;
    }
}
