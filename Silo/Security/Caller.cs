using Imv.Grains.Interfaces.Avatars;

namespace Imv.Silo.Security;

/// <summary>The authenticated avatar a request acts as (set by <see cref="ApiAccessMiddleware"/>); endpoints take
/// it as a parameter. Commands, leases and changes are made in its name, never in a name from the body.</summary>
public sealed class Caller
{
    /// <summary>Creates the caller.</summary>
    public Caller(AvatarProfile profile, string via)
    {
        ArgumentNullException.ThrowIfNull(profile);
        Profile = profile;
        Via = via;
    }

    /// <summary>The avatar's profile when the request came in.</summary>
    public AvatarProfile Profile { get; }

    /// <summary>How it authenticated: <c>key:&lt;key id&gt;</c> or <c>jwt</c>.</summary>
    public string Via { get; }

    /// <summary>The avatar's id.</summary>
    public string AvatarId => Profile.AvatarId;

    /// <summary>The avatar's role.</summary>
    public AvatarRole Role => Profile.Role;

    /// <summary>How far the caller's <paramref name="right"/> reaches.</summary>
    public Reach ReachOf(Right right) => RolePolicy.Of(Role, right);

    /// <summary>Minimal APIs bind the caller from the request's features.</summary>
    public static ValueTask<Caller?> BindAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.FromResult(context.Features.Get<Caller>());
    }
}
