using Imv.Grains.Interfaces.Avatars;

namespace Imv.Client.Access;

/// <summary>Avatars (<see cref="IAvatarGrain"/>).</summary>
public sealed class AvatarAccess
{
    private readonly IGrainFactory _grains;

    internal AvatarAccess(IGrainFactory grains) => _grains = grains;

    /// <summary>The avatar's grain.</summary>
    public IAvatarGrain Grain(string avatarId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(avatarId);
        return _grains.GetGrain<IAvatarGrain>(avatarId);
    }

    /// <summary>The avatar's profile; null when not registered.</summary>
    public Task<AvatarProfile?> GetAsync(string avatarId, CancellationToken cancellationToken = default) =>
        Grain(avatarId).GetProfileAsync().WaitAsync(cancellationToken);
}
