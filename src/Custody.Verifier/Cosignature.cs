using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace EvidenceVault.Custody.Verifier;

/// <summary>
/// A witness's public key for C2SP tlog-cosignature v1 (Ed25519), written as a signed-note vkey
/// <c>name+keyhash+base64(0x04 ‖ key)</c> with key ID SHA-256(name ‖ "\n" ‖ 0x04 ‖ key)[:4].
/// A court pins it beside the agency's key: the agency cannot make a signature by it.
/// </summary>
public sealed record CosignerKey(string Name, uint KeyHash, byte[] PublicKey, string Text)
{
    public const byte Algorithm = 0x04;

    private const string SignaturePrefix = "\u2014 ";
    private const int BlobLength = 4 + 8 + 64;

    public string Fingerprint => Convert.ToHexStringLower(SHA256.HashData(PublicKey));

    public static CosignerKey Parse(string text)
    {
        var (name, hash, publicKey) = VerifierKey.ParseVkey(text, Algorithm, "Ed25519 cosigner keys (algorithm 0x04)");
        return new CosignerKey(name, hash, publicKey, text);
    }

    public static CosignerKey Of(string name, byte[] publicKey)
    {
        var hash = VerifierKey.ComputeKeyHash(name, Algorithm, publicKey);
        return new CosignerKey(name, hash, publicKey, $"{name}+{hash:x8}+{Convert.ToBase64String([Algorithm, .. publicKey])}");
    }

    /// <summary>
    /// What a v1 cosignature signs: <c>cosignature/v1</c>, <c>time T</c> (POSIX seconds, no leading
    /// zeroes), then the whole checkpoint body with its final newline.
    /// </summary>
    public static byte[] SignedMessage(string checkpointBody, long timestamp) =>
        Encoding.UTF8.GetBytes($"cosignature/v1\ntime {timestamp.ToString(CultureInfo.InvariantCulture)}\n{checkpointBody}");

    /// <summary>The note signature line for a cosignature made at <paramref name="timestamp"/>.</summary>
    public string Line(long timestamp, ReadOnlySpan<byte> signature)
    {
        var blob = new byte[BlobLength];
        BinaryPrimitives.WriteUInt32BigEndian(blob, KeyHash);
        BinaryPrimitives.WriteUInt64BigEndian(blob.AsSpan(4), checked((ulong)timestamp));
        signature.CopyTo(blob.AsSpan(12));
        return $"{SignaturePrefix}{Name} {Convert.ToBase64String(blob)}";
    }

    /// <summary>
    /// The time of this cosigner's valid cosignature of <paramref name="checkpointBody"/> among
    /// <paramref name="signatureLines"/>; lines by other keys are ignored, as the format requires.
    /// Null, with the reason, when there is none.
    /// </summary>
    public long? Verify(string checkpointBody, IEnumerable<string> signatureLines, out string problem)
    {
        var prefix = $"{SignaturePrefix}{Name} ";
        var sawName = false;
        foreach (var line in signatureLines)
        {
            if (!line.StartsWith(prefix, StringComparison.Ordinal) || VerifierKey.Base64Strict(line[prefix.Length..]) is not { } blob)
            {
                continue;
            }

            sawName = true;
            if (blob.Length != BlobLength || BinaryPrimitives.ReadUInt32BigEndian(blob) != KeyHash)
            {
                continue;
            }

            var timestamp = BinaryPrimitives.ReadUInt64BigEndian(blob.AsSpan(4));
            if (timestamp > long.MaxValue)
            {
                continue;
            }

            if (Ed25519.Verify(PublicKey, SignedMessage(checkpointBody, (long)timestamp), blob.AsSpan(12)))
            {
                problem = string.Empty;
                return (long)timestamp;
            }
        }

        problem = sawName ? $"the cosignature by {Name} does not verify over this checkpoint" : $"no cosignature by {Name}";
        return null;
    }
}

/// <summary>A signed note cut into its body (with the final newline) and its signature lines; nothing checked.</summary>
public sealed record NoteParts(string Body, IReadOnlyList<string> Signatures)
{
    public static NoteParts? Split(string text)
    {
        var split = text.IndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || !text.EndsWith('\n') || split + 2 >= text.Length)
        {
            return null;
        }

        var signatures = text[(split + 2)..^1].Split('\n');
        return signatures.All(s => s.StartsWith("\u2014 ", StringComparison.Ordinal)) ? new NoteParts(text[..(split + 1)], signatures) : null;
    }

    public override string ToString() => Body + "\n" + string.Concat(Signatures.Select(s => s + "\n"));
}
