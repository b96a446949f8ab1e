using System.Buffers.Binary;
using System.Text;

namespace EvidenceVault.Custody.Checkpoints;

/// <summary>
/// The C2SP signed-note format: a UTF-8 body ending in a newline, a blank line, then one line per
/// signature, <c>— name base64(keyhash ‖ signature)</c> (U+2014 EM DASH). The signature covers the body bytes.
/// </summary>
public static class SignedNote
{
    private const string SignaturePrefix = "\u2014 ";

    public static string Sign(string body, NoteSigningKey key)
    {
        CheckBody(body);
        var signature = key.Sign(Encoding.UTF8.GetBytes(body));
        var blob = new byte[4 + signature.Length];
        BinaryPrimitives.WriteUInt32BigEndian(blob, key.Verifier.KeyHash);
        signature.CopyTo(blob, 4);
        return $"{body}\n{SignaturePrefix}{key.Name} {Convert.ToBase64String(blob)}\n";
    }

    /// <summary>
    /// Returns the body when <paramref name="note"/> carries a valid signature by <paramref name="key"/>;
    /// otherwise null and a reason. Signatures by other keys are ignored, as the format requires.
    /// </summary>
    public static string? Open(string note, NoteVerifierKey key, out string problem)
    {
        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || !note.EndsWith('\n'))
        {
            problem = "not a signed note (no blank line before the signatures, or no final newline)";
            return null;
        }

        var body = note[..(split + 1)];
        var bodyBytes = Encoding.UTF8.GetBytes(body);
        var sawKeyName = false;
        foreach (var line in note[(split + 2)..^1].Split('\n'))
        {
            if (!line.StartsWith(SignaturePrefix, StringComparison.Ordinal))
            {
                problem = "malformed signature line";
                return null;
            }

            var fields = line[SignaturePrefix.Length..].Split(' ');
            if (fields.Length != 2 || fields[0] != key.Name)
            {
                continue;
            }

            sawKeyName = true;
            byte[] blob;
            try
            {
                blob = Convert.FromBase64String(fields[1]);
            }
            catch (FormatException)
            {
                continue;
            }

            if (blob.Length == 68 && BinaryPrimitives.ReadUInt32BigEndian(blob) == key.KeyHash && key.Verify(bodyBytes, blob.AsSpan(4)))
            {
                problem = string.Empty;
                return body;
            }
        }

        problem = sawKeyName
            ? $"the signature by {key.Name} does not verify (body changed or another key signed it)"
            : $"no signature by {key.Name}";
        return null;
    }

    internal static bool IsValidKeyName(string name) =>
        name.Length > 0 && !name.Any(c => char.IsWhiteSpace(c) || c == '+');

    private static void CheckBody(string body)
    {
        if (!body.EndsWith('\n') || body.Contains("\n\n", StringComparison.Ordinal))
        {
            throw new ArgumentException("A note body ends with a newline and has no blank lines.", nameof(body));
        }
    }
}
