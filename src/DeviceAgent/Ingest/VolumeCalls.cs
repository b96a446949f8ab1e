using System.Runtime.InteropServices;

namespace EvidenceVault.DeviceAgent.Ingest;

/// <summary>
/// The Linux calls a hostile camera volume needs and .NET does not expose: resolving a path below
/// a directory without following any link (openat2), listing a folder's raw name bytes (readdir),
/// the type of an opened handle (statx), and unlinking below a folder handle (unlinkat).
/// </summary>
internal static partial class VolumeCalls
{
    public const int ReadOnly = 0;
    public const int NoFollow = 0x20000;     // O_NOFOLLOW
    public const int Directory = 0x10000;    // O_DIRECTORY
    public const int NonBlocking = 0x800;    // O_NONBLOCK: a FIFO swapped in must not hang the open
    public const int CloseOnExec = 0x80000;  // O_CLOEXEC

    public const int NoEntry = 2, Interrupted = 4, AccessDenied = 13, NoSpace = 28, NotDirectory = 20, Loop = 40, CrossDevice = 18, NoSystemCall = 38;

    private const long Openat2 = 437;          // the same number on every Linux architecture
    private const ulong ResolveNoSymlinks = 0x04, ResolveBeneath = 0x08;
    private const int AtEmptyPath = 0x1000, AtSymlinkNoFollow = 0x100;
    private const uint StatxBasic = 0x7ff;

    public const ushort TypeMask = 0xF000, TypeRegular = 0x8000, TypeDirectory = 0x4000, TypeLink = 0xA000;

    /// <summary>What statx says about one file: its type bits, size and modification time (ns since the epoch).</summary>
    public readonly record struct Status(ushort Mode, long Size, long ModifiedNanoseconds)
    {
        public ushort Type => (ushort)(Mode & TypeMask);
    }

    /// <summary>
    /// Opens <paramref name="relative"/> below the folder <paramref name="root"/>: no component may be
    /// a link and nothing may resolve outside it (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS). On a kernel
    /// before 5.6 only the last component is kept from being a link (O_NOFOLLOW). Returns the fd or -errno.
    /// </summary>
    public static int OpenBeneath(int root, byte[] relative, int flags)
    {
        flags |= NoFollow | CloseOnExec;
        var how = new OpenHow { Flags = (ulong)flags, Resolve = ResolveBeneath | ResolveNoSymlinks };
        var fd = (int)Syscall(Openat2, root, Terminated(relative), ref how, (nuint)Marshal.SizeOf<OpenHow>());
        if (fd >= 0)
        {
            return fd;
        }

        var error = Marshal.GetLastPInvokeError();
        if (error != NoSystemCall)
        {
            return -error;
        }

        fd = OpenAt(root, Terminated(relative), flags);
        return fd >= 0 ? fd : -Marshal.GetLastPInvokeError();
    }

    /// <summary>Opens a folder the operator named (links in its own path are the operator's choice).</summary>
    public static int OpenFolder(string path)
    {
        var fd = Open(path, ReadOnly | Directory | CloseOnExec);
        return fd >= 0 ? fd : -Marshal.GetLastPInvokeError();
    }

    /// <summary>The status of an open handle, or of <paramref name="name"/> below <paramref name="folder"/> without following a link; null with the errno on failure.</summary>
    public static Status? Stat(int folder, byte[]? name, out int error)
    {
        var buffer = new byte[256];
        var result = name is null
            ? Statx(folder, [0], AtEmptyPath | AtSymlinkNoFollow, StatxBasic, buffer)
            : Statx(folder, Terminated(name), AtSymlinkNoFollow, StatxBasic, buffer);
        if (result != 0)
        {
            error = Marshal.GetLastPInvokeError();
            return null;
        }

        error = 0;
        // struct statx: stx_mode at 28, stx_size at 40, stx_mtime (s64 seconds, u32 nanoseconds) at 112.
        var mtime = (BitConverter.ToInt64(buffer, 112) * 1_000_000_000L) + BitConverter.ToUInt32(buffer, 120);
        return new Status(BitConverter.ToUInt16(buffer, 28), BitConverter.ToInt64(buffer, 40), mtime);
    }

    /// <summary>The raw names in an open folder (taking the fd, which is closed), with their dirent types; "." and ".." left out.</summary>
    public static List<(byte[] Name, byte Type)> ReadFolder(int fd)
    {
        var directory = FdOpenDir(fd);
        if (directory == IntPtr.Zero)
        {
            var error = Marshal.GetLastPInvokeError();
            _ = Close(fd);
            throw new IOException(Describe(error));
        }

        var names = new List<(byte[], byte)>();
        try
        {
            while (true)
            {
                Marshal.SetLastPInvokeError(0);
                var entry = ReadDir(directory);
                if (entry == IntPtr.Zero)
                {
                    if (Marshal.GetLastPInvokeError() is var error and not 0)
                    {
                        throw new IOException(Describe(error));
                    }

                    return names;
                }

                // struct dirent on 64-bit Linux: d_ino, d_off (8 bytes each), d_reclen (2), d_type (1), d_name.
                var type = Marshal.ReadByte(entry, 18);
                var length = 0;
                while (Marshal.ReadByte(entry, 19 + length) != 0)
                {
                    length++;
                }

                var name = new byte[length];
                Marshal.Copy(entry + 19, name, 0, length);
                if (name is not ([(byte)'.'] or [(byte)'.', (byte)'.']))
                {
                    names.Add((name, type));
                }
            }
        }
        finally
        {
            _ = CloseDir(directory);
        }
    }

    /// <summary>The path with every link resolved (realpath), or the full path when it does not exist.</summary>
    public static string RealPath(string path)
    {
        var resolved = RealPathOf(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return System.IO.Path.GetFullPath(path);
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved)!;
        }
        finally
        {
            Free(resolved);
        }
    }

    /// <summary>Tells the kernel the file is read front to back once (POSIX_FADV_SEQUENTIAL: a larger read-ahead), as FileOptions.SequentialScan does for a path.</summary>
    public static void ReadSequentially(int fd) => _ = FAdvise(fd, 0, 0, 2);

    public static int Unlink(int folder, byte[] name) => UnlinkAt(folder, Terminated(name), 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static void CloseHandle(int fd) => _ = Close(fd);

    /// <summary>What an errno means to the clerk reading the outcome line.</summary>
    public static string Describe(int error) => error switch
    {
        NoEntry => "it vanished from the camera before it was read",
        AccessDenied => "permission denied",
        Loop or CrossDevice => "a symbolic link took its place while docked (links are never followed)",
        NotDirectory => "a folder on its path was replaced while docked",
        NoSpace => "no space left on the dock's disk",
        _ => Marshal.GetPInvokeErrorMessage(error) + $" (errno {error})",
    };

    private static byte[] Terminated(byte[] path)
    {
        var terminated = new byte[path.Length + 1];
        path.CopyTo(terminated, 0);
        return terminated;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, int directory, byte[] path, ref OpenHow how, nuint size);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static partial int OpenAt(int directory, byte[] path, int flags);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static partial int Statx(int directory, byte[] path, int flags, uint mask, byte[] buffer);

    [LibraryImport("libc", EntryPoint = "fdopendir", SetLastError = true)]
    private static partial IntPtr FdOpenDir(int fd);

    [LibraryImport("libc", EntryPoint = "readdir", SetLastError = true)]
    private static partial IntPtr ReadDir(IntPtr directory);

    [LibraryImport("libc", EntryPoint = "closedir", SetLastError = true)]
    private static partial int CloseDir(IntPtr directory);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    private static partial int UnlinkAt(int directory, byte[] path, int flags);

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr RealPathOf(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr pointer);

    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int FAdvise(int fd, long offset, long length, int advice);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
