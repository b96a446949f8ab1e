using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EvidenceVault.Custody.Verifier;

namespace EvidenceVault.Witness;

/// <summary>
/// A witness's data folder: <c>witness.key</c> (Ed25519 seed, mode 0600), <c>witness.name</c>,
/// <c>logs.txt</c> (the verifier keys of the logs it witnesses, one per line), <c>state/</c> (per
/// log origin, the newest checkpoint it cosigned, with its cosignature) and <c>refused.jsonl</c>
/// (every refused request whose signature verified: a fork's own proof).
/// </summary>
internal sealed partial class WitnessFolder
{
    private const string KeyFile = "witness.key";
    private const string NameFile = "witness.name";
    private const string LogsFile = "logs.txt";
    private const string StateFolder = "state";
    private const string RefusedFile = "refused.jsonl";

    public WitnessFolder(string root)
    {
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    public string RefusedPath => Path.Combine(Root, RefusedFile);

    /// <summary>Makes the folder, its key and its name; refuses a folder that already holds a witness.</summary>
    public static CosigningKey Init(string root, string name)
    {
        if (name.Length == 0 || name.Any(c => char.IsWhiteSpace(c) || c == '+'))
        {
            throw new InvalidDataException($"'{name}' is not a witness name: a schema-less URL without spaces or '+', e.g. procuratorate.example/witness.");
        }

        var folder = new WitnessFolder(root);
        if (File.Exists(Path.Combine(folder.Root, KeyFile)))
        {
            throw new InvalidDataException($"{folder.Root} already holds a witness (its key is {Path.Combine(folder.Root, KeyFile)}); a second init would forget what it cosigned.");
        }

        Directory.CreateDirectory(Path.Combine(folder.Root, StateFolder));
        var seed = RandomNumberGenerator.GetBytes(32);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new FileStream(Path.Combine(folder.Root, KeyFile), options))
        {
            file.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(seed) + "\n"));
            file.Flush(flushToDisk: true);
        }

        folder.WriteDurably(Path.Combine(folder.Root, NameFile), name + "\n");
        return new CosigningKey(name, seed);
    }

    /// <summary>The witness key; refused when anyone but the owner may read it.</summary>
    public CosigningKey Key()
    {
        var path = Path.Combine(Root, KeyFile);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{Root} is not a witness folder ({path} is missing): run custody-witness init first.");
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw new InvalidDataException($"{path} may be read by others (mode {Convert.ToString((int)File.GetUnixFileMode(path), 8)}): chmod 600 it; a witness key others can read cosigns nothing.");
        }

        byte[] seed;
        try
        {
            seed = Convert.FromBase64String(File.ReadAllText(path).Trim());
        }
        catch (FormatException)
        {
            throw new InvalidDataException($"{path} is not a base64 Ed25519 seed.");
        }

        return new CosigningKey(File.ReadAllText(Path.Combine(Root, NameFile)).Trim(), seed);
    }

    public IReadOnlyList<VerifierKey> TrustedLogs()
    {
        var path = Path.Combine(Root, LogsFile);
        return File.Exists(path)
            ? [.. File.ReadAllLines(path).Where(l => l.Length > 0).Select(VerifierKey.Parse)]
            : [];
    }

    /// <summary>Adds a log's key; false when it was already trusted.</summary>
    public bool Trust(VerifierKey log)
    {
        var known = TrustedLogs();
        if (known.Any(k => k.Text == log.Text))
        {
            return false;
        }

        WriteDurably(Path.Combine(Root, LogsFile), string.Concat(known.Append(log).Select(k => k.Text + "\n")));
        return true;
    }

    /// <summary>The newest checkpoint cosigned for <paramref name="origin"/> (log signature and cosignature), or null.</summary>
    public string? Latest(string origin)
    {
        var path = StatePath(origin);
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }

    public IEnumerable<string> AllLatest() =>
        Directory.EnumerateFiles(Path.Combine(Root, StateFolder), "*.checkpoint").Order(StringComparer.Ordinal).Select(File.ReadAllText);

    /// <summary>Records the new state before the cosignature leaves (tlog-witness: persist, then respond).</summary>
    public void Persist(string origin, string cosignedCheckpoint) => WriteDurably(StatePath(origin), cosignedCheckpoint);

    /// <summary>Appends a refused request to <c>refused.jsonl</c>, synced: it may be the proof that a log forked.</summary>
    public void Refused(object record)
    {
        using var file = new FileStream(RefusedPath, FileMode.Append, FileAccess.Write, FileShare.Read);
        file.Write(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(record) + "\n"));
        file.Flush(flushToDisk: true);
    }

    /// <summary>Holds the folder for one serving process: two would each trust their own view of the state.</summary>
    public FileStream LockForServing()
    {
        var path = Path.Combine(Root, "serve.lock");
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new InvalidDataException($"Another custody-witness already serves {Root} ({path} is locked).", e);
        }
    }

    private string StatePath(string origin) =>
        Path.Combine(Root, StateFolder, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(origin))) + ".checkpoint");

    private void WriteDurably(string path, string text)
    {
        var temporary = path + $".{Environment.ProcessId}.tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            file.Write(Encoding.UTF8.GetBytes(text));
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(path)!);
    }

    private static void SyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = Open(path, 0x10000); // O_RDONLY | O_DIRECTORY: a rename survives power loss only once its folder is synced
        if (fd < 0)
        {
            throw new IOException($"Cannot open {path} to sync it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of {path} failed (errno {Marshal.GetLastPInvokeError()}).");
            }
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
