using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace EvidenceVault.Custody.Verifier;

/// <summary>A C2SP verifier key, <c>name+keyhash+base64(0x01 ‖ Ed25519 public key)</c>, parsed strictly.</summary>
public sealed record VerifierKey(string Name, uint KeyHash, byte[] PublicKey, string Text)
{
    /// <summary>SHA-256 of the public key, hex: what the explanation sheet prints.</summary>
    public string Fingerprint => Convert.ToHexStringLower(SHA256.HashData(PublicKey));

    public static VerifierKey Parse(string text)
    {
        var (name, hash, publicKey) = ParseVkey(text, 0x01, "Ed25519 verifier keys (algorithm 0x01)");
        return new VerifierKey(name, hash, publicKey, text);
    }

    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) => Ed25519.Verify(PublicKey, message, signature);

    internal static uint ComputeKeyHash(string name, byte[] publicKey) => ComputeKeyHash(name, 0x01, publicKey);

    /// <summary>signed-note key ID: SHA-256(name ‖ "\n" ‖ algorithm ‖ public key)[:4], big-endian.</summary>
    internal static uint ComputeKeyHash(string name, byte algorithm, byte[] publicKey) =>
        BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData([.. Encoding.UTF8.GetBytes(name), (byte)'\n', algorithm, .. publicKey]));

    /// <summary>Parses <c>name+keyhash+base64(algorithm ‖ 32-byte key)</c> strictly, checking the key hash.</summary>
    internal static (string Name, uint Hash, byte[] PublicKey) ParseVkey(string text, byte algorithm, string supported)
    {
        var parts = text.Split('+', 3);
        if (parts.Length != 3 || parts[0].Length == 0 || parts[0].Any(char.IsWhiteSpace) || parts[1].Length != 8 || !IsLowerHex(parts[1]))
        {
            throw new FormatException("a verifier key is name+keyhash+base64key");
        }

        var key = Base64Strict(parts[2]) ?? throw new FormatException("the key part is not canonical base64");
        if (key.Length != 33 || key[0] != algorithm)
        {
            throw new FormatException($"only {supported} are supported here");
        }

        var publicKey = key[1..];
        var hash = ComputeKeyHash(parts[0], algorithm, publicKey);
        if (hash != uint.Parse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture))
        {
            throw new FormatException("the key hash does not match the name and key");
        }

        return (parts[0], hash, publicKey);
    }

    internal static bool IsLowerHex(string text) => text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    /// <summary>Standard padded base64 that re-encodes to the same text (so no two texts carry the same bytes).</summary>
    public static byte[]? Base64Strict(string text)
    {
        try
        {
            var bytes = Convert.FromBase64String(text);
            return Convert.ToBase64String(bytes) == text ? bytes : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>A signed checkpoint: origin, tree size and root, signed by the agency's key.</summary>
public sealed record CheckpointNote(string Origin, long Size, byte[] Root, string Text)
{
    private const string SignaturePrefix = "\u2014 ";

    /// <summary>
    /// Opens a checkpoint exactly as the vault writes it: three body lines, a blank line and one
    /// signature line by <paramref name="key"/>, nothing else. Null with the reason otherwise.
    /// </summary>
    public static CheckpointNote? Open(string text, VerifierKey key, out string problem)
    {
        var lines = text.Split('\n');
        if (lines.Length != 6 || lines[3].Length != 0 || lines[5].Length != 0)
        {
            problem = "not a checkpoint note (origin, size, root, blank line, one signature line, final newline)";
            return null;
        }

        if (lines[0] != key.Name)
        {
            problem = $"origin '{lines[0]}' is not the key's name '{key.Name}'";
            return null;
        }

        if (!long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size.ToString(CultureInfo.InvariantCulture) != lines[1])
        {
            problem = $"size '{lines[1]}' is not a decimal number";
            return null;
        }

        if (VerifierKey.Base64Strict(lines[2]) is not { Length: Rfc9162.HashLength } root)
        {
            problem = "root is not the canonical base64 of 32 bytes";
            return null;
        }

        var prefix = SignaturePrefix + key.Name + " ";
        if (!lines[4].StartsWith(prefix, StringComparison.Ordinal) || VerifierKey.Base64Strict(lines[4][prefix.Length..]) is not { Length: 68 } blob)
        {
            problem = $"the signature line is not one canonical signature by {key.Name}";
            return null;
        }

        var body = Encoding.UTF8.GetBytes(string.Join('\n', lines[..3]) + "\n");
        if (BinaryPrimitives.ReadUInt32BigEndian(blob) != key.KeyHash || !key.Verify(body, blob.AsSpan(4)))
        {
            problem = "the signature does not verify with the agency's key";
            return null;
        }

        problem = string.Empty;
        return new CheckpointNote(lines[0], size, root, text);
    }
}

public static class CosignedCheckpoint
{
    /// <summary>
    /// Opens a checkpoint that may carry more signatures than the log's (cosignatures, a second key),
    /// as tlog-witness allows: a body of origin, size, root and any extension lines, then signature
    /// lines among which one verifies with <paramref name="key"/>. Lines by other keys are ignored.
    /// </summary>
    public static CheckpointNote? Open(string text, VerifierKey key, out string problem)
    {
        if (NoteParts.Split(text) is not { } parts)
        {
            problem = "not a signed note (body, blank line, signature lines, final newline)";
            return null;
        }

        var lines = parts.Body.Split('\n');
        if (lines.Length < 4 || lines[0] != key.Name)
        {
            problem = lines.Length < 4 ? "the checkpoint body has fewer than three lines" : $"origin '{lines[0]}' is not the key's name '{key.Name}'";
            return null;
        }

        if (!long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size.ToString(CultureInfo.InvariantCulture) != lines[1] ||
            VerifierKey.Base64Strict(lines[2]) is not { Length: Rfc9162.HashLength } root)
        {
            problem = "the checkpoint body is not origin, decimal size and base64 root";
            return null;
        }

        // The signature covers the whole body, extension lines included (signed-note).
        var body = Encoding.UTF8.GetBytes(parts.Body);
        var prefix = $"\u2014 {key.Name} ";
        var signed = parts.Signatures.Any(line => line.StartsWith(prefix, StringComparison.Ordinal) &&
            VerifierKey.Base64Strict(line[prefix.Length..]) is { Length: 68 } blob &&
            BinaryPrimitives.ReadUInt32BigEndian(blob) == key.KeyHash && key.Verify(body, blob.AsSpan(4)));
        problem = signed ? string.Empty : $"no valid signature by {key.Name}";
        return signed ? new CheckpointNote(lines[0], size, root, text) : null;
    }
}

/// <summary>RFC 8032 Ed25519 signature verification (BouncyCastle: .NET has none built in).</summary>
public static class Ed25519
{
    public static bool Verify(byte[] publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != 64 || publicKey.Length != 32)
        {
            return false;
        }

        var verifier = new Ed25519Signer();
        verifier.Init(false, new Ed25519PublicKeyParameters(publicKey));
        verifier.BlockUpdate(message);
        return verifier.VerifySignature(signature.ToArray());
    }
}
