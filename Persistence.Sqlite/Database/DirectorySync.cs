using System.Runtime.InteropServices;

namespace Imv.Persistence.Sqlite;

/// <summary>Makes a directory's entries durable (fsync of the directory on Unix), so a file created in it survives
/// a power loss together with the data synced into it. .NET has no API for it; Windows needs none (NTFS journals
/// the entry with the file).</summary>
internal static partial class DirectorySync
{
    private const int ReadOnly = 0; // O_RDONLY

    /// <summary>Syncs <paramref name="directory"/>; throws <see cref="IOException"/> naming it when the OS refuses.</summary>
    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = Open(directory, ReadOnly);
        if (fd < 0) throw new IOException($"Cannot open directory '{directory}' to sync it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"Cannot sync directory '{directory}' (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
