namespace Imv.Silo.Security;

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
