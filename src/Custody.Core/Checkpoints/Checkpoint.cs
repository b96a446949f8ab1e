using System.Globalization;

namespace EvidenceVault.Custody.Checkpoints;

/// <summary>
/// A signed statement "the ledger named <see cref="Origin"/> had <see cref="Size"/> entries with
/// root <see cref="Root"/>" in the C2SP tlog-checkpoint form: origin, size and base64 root, one per line.
/// </summary>
public sealed record Checkpoint(string Origin, long Size, Sha256Digest Root, string Note)
{
    public static string Body(string origin, long size, Sha256Digest root) =>
        $"{origin}\n{size.ToString(CultureInfo.InvariantCulture)}\n{root.ToBase64()}\n";

    public static Checkpoint Create(NoteSigningKey key, long size, Sha256Digest root) =>
        new(key.Name, size, root, SignedNote.Sign(Body(key.Name, size, root), key));

    /// <summary>Opens a signed checkpoint; null with a reason when the signature, origin or body is wrong.</summary>
    public static Checkpoint? Open(string note, NoteVerifierKey key, out string problem)
    {
        var body = SignedNote.Open(note, key, out problem);
        if (body is null)
        {
            return null;
        }

        var lines = body.TrimEnd('\n').Split('\n');
        if (lines.Length < 3)
        {
            problem = "checkpoint body has fewer than three lines";
            return null;
        }

        if (lines[0] != key.Name)
        {
            problem = $"checkpoint origin '{lines[0]}' is not '{key.Name}'";
            return null;
        }

        if (!long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size) ||
            size.ToString(CultureInfo.InvariantCulture) != lines[1])
        {
            problem = $"checkpoint size '{lines[1]}' is not a decimal number";
            return null;
        }

        byte[] root;
        try
        {
            root = Convert.FromBase64String(lines[2]);
        }
        catch (FormatException)
        {
            root = [];
        }

        if (root.Length != Sha256Digest.Length)
        {
            problem = "checkpoint root is not a base64 SHA-256 value";
            return null;
        }

        return new Checkpoint(lines[0], size, new Sha256Digest(root), note);
    }
}
