using Imv.Grains.Interfaces.Avatars;
using Imv.Silo.Directory;
using Imv.Silo.Hosting;

namespace Imv.Silo.Security;

/// <summary>On a grid's first start (no API key at all), or when <see cref="AuthSettings.NewAdminKey"/> asks, registers
/// the <see cref="AdminAvatarId"/> avatar (role Administrator), creates an API key for it, writes the key to
/// <see cref="AuthSettings.AdminKeyFile"/> (permissions 0600) and says where. Runs after the silo started.</summary>
public sealed partial class AdminKeyBootstrap(AuthSettings settings, SiloSettings silo, ApiKeyStore keys, IGrainFactory grains, GridCatalog catalog,
    ILogger<AdminKeyBootstrap> logger) : IHostedService
{
    /// <summary>The administrator avatar created on first start.</summary>
    public const string AdminAvatarId = "admin";

    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the bootstrap finished (a key written or none needed).</summary>
    public Task Completion => _done.Task;

    /// <summary>The file the key goes to: <c>Auth:AdminKeyFile</c>, else beside the data file, else the working directory.</summary>
    public static string KeyFileOf(AuthSettings settings, SiloSettings silo)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(silo);
        if (!string.IsNullOrWhiteSpace(settings.AdminKeyFile)) return Path.GetFullPath(settings.AdminKeyFile, Environment.CurrentDirectory);
        return silo.Uses(StorageKinds.Sqlite)
            ? Path.GetFullPath(silo.SqlitePath, Environment.CurrentDirectory) + ".admin-key"
            : Path.GetFullPath("imv.admin-key", Environment.CurrentDirectory);
    }

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (!settings.CreateAdminKey && !settings.NewAdminKey) return;
            var avatar = grains.GetGrain<IAvatarGrain>(AdminAvatarId);
            var profile = await avatar.GetProfileAsync().ConfigureAwait(false);
            if (profile is null || profile.Role != AvatarRole.Administrator || !profile.Active)
            {
                if (profile is not null && profile.Role != AvatarRole.Administrator && !settings.NewAdminKey)
                {
                    LogAdminTaken(logger, AdminAvatarId);
                    return;
                }
                await avatar.RegisterAsync(new AvatarRegistration("Administrator", AvatarKind.User, AvatarRole.Administrator)).ConfigureAwait(false);
                await avatar.SetActiveAsync(true).ConfigureAwait(false);
                catalog.AddAvatar(AdminAvatarId);
                await grains.GetGrain<IGridCatalogGrain>(IGridCatalogGrain.Key).AddAvatarAsync(AdminAvatarId).ConfigureAwait(false);
            }
            var created = await keys.CreateAsync(AdminAvatarId, settings.NewAdminKey ? "administrator (Auth:NewAdminKey)" : "administrator (first start)",
                "(first start)", onlyIfNone: !settings.NewAdminKey).ConfigureAwait(false);
            if (created is not { } c) return;
            var file = KeyFileOf(settings, silo);
            await WriteSecretAsync(file, c.Key + "\n", cancellationToken).ConfigureAwait(false);
            // Printed at warning level so it shows while the live summary owns the terminal.
            LogKeyWritten(logger, c.Record.KeyId, file);
        }
        finally
        {
            _done.TrySetResult();
        }
    }

    /// <summary>Writes <paramref name="text"/> to a file only its owner may read (0600), replacing it.</summary>
    public static async Task WriteSecretAsync(string file, string text, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var temp = file + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using (var stream = new FileStream(temp, options))
        await using (var writer = new StreamWriter(stream))
            await writer.WriteAsync(text.AsMemory(), cancellationToken).ConfigureAwait(false);
        File.Move(temp, file, overwrite: true);
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Administrator API key {KeyId} created and written to {KeyFile} (readable by this user only). Send it as 'X-Api-Key: <key>'; it is not shown again.")]
    private static partial void LogKeyWritten(ILogger logger, string keyId, string keyFile);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No administrator key created: avatar '{AvatarId}' exists with another role. Set Auth:NewAdminKey=true to make it the administrator.")]
    private static partial void LogAdminTaken(ILogger logger, string avatarId);
}
