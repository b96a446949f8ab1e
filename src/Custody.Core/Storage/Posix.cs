using System.Runtime.InteropServices;

namespace EvidenceVault.Custody.Storage;

/// <summary>
/// The two calls .NET does not expose: fsync of a directory (so a rename survives power loss)
/// and chmod of a file (so originals are read-only once written).
/// </summary>
public static partial class Posix
{
    /// <summary>
    /// Removes the files in <paramref name="directory"/> named <c>PID-…</c> whose process no longer
    /// runs (a crash or power loss mid-copy): partial copies that were never objects nor in custody,
    /// while the camera still holds the clip. Returns how many.
    /// </summary>
    public static int RemoveFilesOfGoneProcesses(string directory)
    {
        var removed = 0;
        foreach (var file in System.IO.Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(file);
            var dash = name.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0 && int.TryParse(name.AsSpan(0, dash), System.Globalization.CultureInfo.InvariantCulture, out var pid) &&
                pid != Environment.ProcessId && !System.IO.Directory.Exists($"/proc/{pid}"))
            {
                File.Delete(file);
                removed++;
            }
        }

        return removed;
    }

    private const int ReadOnly = 0;
    private const int Directory = 0x10000; // O_DIRECTORY on Linux

    internal static void SyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = Open(path, ReadOnly | Directory);
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory {path} to sync it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory {path} failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>
    /// True for a regular file, without following a link. A FIFO or device node on a camera volume
    /// would block or never end if read; statx is used because its layout is the same on every architecture.
    /// </summary>
    public static bool IsRegularFile(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return File.Exists(path);
        }

        const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100, StatxType = 0x1;
        const ushort TypeMask = 0xF000, Regular = 0x8000;
        var buffer = new byte[256];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, buffer) != 0)
        {
            return false;
        }

        var mode = BitConverter.ToUInt16(buffer, 28); // struct statx: stx_mode at byte 28
        return (mode & TypeMask) == Regular;
    }

    /// <summary>True when the error is a filesystem out of space: ENOSPC from a write or fsync, or SQLite's SQLITE_FULL.</summary>
    public static bool IsDiskFull(Exception e) => e switch
    {
        Microsoft.Data.Sqlite.SqliteException sqlite => (sqlite.SqliteErrorCode & 0xff) == 13,
        IOException io => io.HResult == 28 || io.Message.Contains("No space left on device", StringComparison.Ordinal),
        _ => false,
    } || (e.InnerException is { } inner && IsDiskFull(inner));

    internal static void MakeReadOnly(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, byte[] buffer);

    /// <summary>
    /// Asks the kernel to start writing a range of the file to disk now (sync_file_range with
    /// SYNC_FILE_RANGE_WRITE), without waiting. Only a hint that lets the final fsync find little
    /// left to do; durability still comes from that fsync.
    /// </summary>
    internal static void StartWriteback(Microsoft.Win32.SafeHandles.SafeFileHandle file, long offset, long length)
    {
        if (OperatingSystem.IsLinux())
        {
            const uint SyncFileRangeWrite = 2;
            _ = SyncFileRange((int)file.DangerousGetHandle(), offset, length, SyncFileRangeWrite);
        }
    }

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(int fd, long offset, long nbytes, uint flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
