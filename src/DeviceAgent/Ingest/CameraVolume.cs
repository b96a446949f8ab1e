using System.Text;
using Microsoft.Win32.SafeHandles;

namespace EvidenceVault.DeviceAgent.Ingest;

/// <summary>What an entry on a camera volume is, as listed (never by following a link).</summary>
internal enum CameraEntryKind
{
    Regular,
    SymbolicLink,
    /// <summary>A FIFO, device or socket: reading it would block or never end.</summary>
    Special,
    /// <summary>A folder that could not be listed: what is in it is not in custody.</summary>
    UnreadableFolder,
}

/// <summary>One entry on a camera volume.</summary>
/// <param name="Name">Its path below the volume, '/'-separated, as recorded in custody; bytes that are not UTF-8 are written <c>\xNN</c>.</param>
/// <param name="RawPath">The same path's bytes as the camera's filesystem holds them: the only thing ever opened or deleted.</param>
/// <param name="Length">The size listed at the dock (0 for anything but a regular file).</param>
/// <param name="ModifiedNanoseconds">The modification time listed at the dock, to see a file changed between reading and deleting.</param>
/// <param name="Problem">Why a folder could not be listed.</param>
internal sealed record CameraFile(string Name, byte[] RawPath, CameraEntryKind Kind, long Length, long ModifiedNanoseconds, bool NameIsUtf8, string? Problem)
{
    /// <summary>The last component of <see cref="Name"/>, which device profiles parse.</summary>
    public string FileName => Name[(Name.LastIndexOf('/') + 1)..];
}

/// <summary>
/// A mounted camera volume, treated as hostile: every entry is found and opened below the volume's
/// own folder handle without following any link (a link or a swapped-in folder could point anywhere
/// on the dock PC, its vault included), a FIFO or device is never opened for reading, names are
/// raw bytes (a name that is not UTF-8 is still a file on the camera), and one folder that cannot be
/// listed is reported without hiding the rest.
/// </summary>
internal sealed class CameraVolume : IDisposable
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly int _root;

    private CameraVolume(string path, int root)
    {
        Path = path;
        _root = root;
    }

    public string Path { get; }

    public static CameraVolume Open(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The dock agent reads camera volumes with Linux calls (openat2, statx).");
        }

        var fd = VolumeCalls.OpenFolder(path);
        return fd < 0 ? throw new IOException($"Volume {path} cannot be opened: {VolumeCalls.Describe(-fd)}.") : new CameraVolume(path, fd);
    }

    /// <summary>Every entry below the volume, folders entered (never through a link), in the order of their raw path bytes.</summary>
    public List<CameraFile> List()
    {
        var found = new List<CameraFile>();
        Walk([], found);
        found.Sort((a, b) => a.RawPath.AsSpan().SequenceCompareTo(b.RawPath));
        return found;
    }

    /// <summary>The names of the first regular files, for choosing a device profile.</summary>
    public static IEnumerable<string> Names(string volume, int count)
    {
        using var opened = Open(volume);
        return opened.List().Where(f => f.Kind == CameraEntryKind.Regular).Take(count).Select(f => f.FileName).ToList();
    }

    /// <summary>
    /// Opens a listed file for reading. The open follows no link and does not block, and the opened
    /// handle itself must be a regular file: the entry cannot be swapped between a check and the open.
    /// </summary>
    public Stream OpenRead(CameraFile file)
    {
        var fd = VolumeCalls.OpenBeneath(_root, file.RawPath, VolumeCalls.ReadOnly | VolumeCalls.NonBlocking);
        if (fd < 0)
        {
            throw new IOException($"{file.Name}: {VolumeCalls.Describe(-fd)}: not read.");
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        var status = VolumeCalls.Stat(fd, null, out var error);
        if (status is not { Type: VolumeCalls.TypeRegular })
        {
            handle.Dispose();
            throw new IOException(status is null
                ? $"{file.Name}: {VolumeCalls.Describe(error)}: not read."
                : $"{file.Name}: not a regular file (FIFO, device or socket took its place): not read.");
        }

        // A camera is read front to back once: the larger read-ahead keeps a cold disk or a USB link streaming.
        VolumeCalls.ReadSequentially(fd);
        return new FileStream(handle, FileAccess.Read, bufferSize: 0);
    }

    /// <summary>
    /// Deletes a listed file when it is still the file that was listed (same type, size and
    /// modification time, its folder reached without a link). Returns why not, or null when deleted.
    /// </summary>
    public string? Delete(CameraFile file)
    {
        var slash = Array.LastIndexOf(file.RawPath, (byte)'/');
        var folder = slash < 0 ? VolumeCalls.OpenBeneath(_root, [(byte)'.'], VolumeCalls.ReadOnly | VolumeCalls.Directory) : VolumeCalls.OpenBeneath(_root, file.RawPath[..slash], VolumeCalls.ReadOnly | VolumeCalls.Directory);
        if (folder < 0)
        {
            return VolumeCalls.Describe(-folder);
        }

        try
        {
            var name = file.RawPath[(slash + 1)..];
            var now = VolumeCalls.Stat(folder, name, out var error);
            if (now is not { Type: VolumeCalls.TypeRegular } current)
            {
                return now is null ? VolumeCalls.Describe(error) : "it is no longer a regular file";
            }

            if (current.Size != file.Length || current.ModifiedNanoseconds != file.ModifiedNanoseconds)
            {
                return "it changed on the camera after it was read";
            }

            return VolumeCalls.Unlink(folder, name) is var failed and not 0 ? VolumeCalls.Describe(failed) : null;
        }
        finally
        {
            VolumeCalls.CloseHandle(folder);
        }
    }

    public void Dispose() => VolumeCalls.CloseHandle(_root);

    private void Walk(byte[] folder, List<CameraFile> found)
    {
        List<(byte[] Name, byte Type)> entries;
        try
        {
            var fd = VolumeCalls.OpenBeneath(_root, folder.Length == 0 ? [(byte)'.'] : folder, VolumeCalls.ReadOnly | VolumeCalls.Directory);
            if (fd < 0)
            {
                throw new IOException(VolumeCalls.Describe(-fd));
            }

            entries = VolumeCalls.ReadFolder(fd);
        }
        catch (IOException e)
        {
            var (display, utf8) = Display(folder);
            found.Add(new CameraFile(display.Length == 0 ? "." : display, folder, CameraEntryKind.UnreadableFolder, 0, 0, utf8, e.Message));
            return;
        }

        foreach (var (name, direntType) in entries)
        {
            byte[] path = folder.Length == 0 ? name : [.. folder, (byte)'/', .. name];
            // d_type is a hint some filesystems leave unknown (0): statx without following links settles it.
            var status = VolumeCalls.Stat(_root, path, out var error);
            var type = status?.Type ?? direntType switch { 4 => VolumeCalls.TypeDirectory, 10 => VolumeCalls.TypeLink, 8 => VolumeCalls.TypeRegular, _ => (ushort)0 };
            if (type == VolumeCalls.TypeDirectory)
            {
                Walk(path, found);
                continue;
            }

            var kind = type switch
            {
                VolumeCalls.TypeRegular => CameraEntryKind.Regular,
                VolumeCalls.TypeLink => CameraEntryKind.SymbolicLink,
                _ => CameraEntryKind.Special,
            };
            var (display, utf8) = Display(path);
            found.Add(new CameraFile(display, path, kind, status?.Size ?? 0, status?.ModifiedNanoseconds ?? 0, utf8, status is null ? VolumeCalls.Describe(error) : null));
        }
    }

    /// <summary>A raw path as text: UTF-8 as it is, any other byte as <c>\xNN</c> so the clerk can find the file.</summary>
    private static (string Text, bool Utf8) Display(byte[] raw)
    {
        try
        {
            return (StrictUtf8.GetString(raw), true);
        }
        catch (DecoderFallbackException)
        {
        }

        var text = new StringBuilder(raw.Length + 8);
        var rest = raw.AsSpan();
        while (!rest.IsEmpty)
        {
            if (System.Text.Rune.DecodeFromUtf8(rest, out var rune, out var used) == System.Buffers.OperationStatus.Done)
            {
                text.Append(rune.ToString());
                rest = rest[used..];
            }
            else
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\x{rest[0]:X2}");
                rest = rest[1..];
            }
        }

        return (text.ToString(), false);
    }
}
