using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace EvidenceVault.Custody.Checkpoints;

/// <summary>
/// A C2SP signed-note verifier key: name, 4-byte key hash and Ed25519 public key, written as
/// <c>name+hhhhhhhh+base64(0x01 ‖ public key)</c>. The key hash is the first four bytes of
/// SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key).
/// </summary>
public sealed class NoteVerifierKey
{
    private const byte Ed25519Algorithm = 0x01;

    public NoteVerifierKey(string name, ReadOnlySpan<byte> publicKey)
    {
        if (!SignedNote.IsValidKeyName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid note key name (no spaces, '+' or newlines).", nameof(name));
        }

        if (publicKey.Length != 32)
        {
            throw new ArgumentException("An Ed25519 public key is 32 bytes.", nameof(publicKey));
        }

        Name = name;
        PublicKey = publicKey.ToArray();
        KeyHash = ComputeKeyHash(name, PublicKey);
    }

    public string Name { get; }

    public byte[] PublicKey { get; }

    public uint KeyHash { get; }

    /// <summary>The text a court or auditor pins: <c>name+keyhash+base64key</c>.</summary>
    public override string ToString()
    {
        var key = new byte[33];
        key[0] = Ed25519Algorithm;
        PublicKey.CopyTo(key, 1);
        return $"{Name}+{KeyHash:x8}+{Convert.ToBase64String(key)}";
    }

    /// <summary>SHA-256 of the public key, hex: the fingerprint printed on an export's explanation sheet.</summary>
    public string Fingerprint => Convert.ToHexStringLower(SHA256.HashData(PublicKey));

    public static NoteVerifierKey Parse(string text)
    {
        // The base64 key may itself contain '+': split at the first two only.
        var parts = text.Trim().Split('+', 3);
        if (parts.Length != 3 || parts[1].Length != 8)
        {
            throw new FormatException("A verifier key is name+keyhash+base64key.");
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(parts[2]);
        }
        catch (FormatException e)
        {
            throw new FormatException("The verifier key's key part is not base64.", e);
        }

        if (key.Length != 33 || key[0] != Ed25519Algorithm)
        {
            throw new FormatException("Only Ed25519 verifier keys (algorithm 0x01) are supported.");
        }

        var parsed = new NoteVerifierKey(parts[0], key.AsSpan(1));
        if (!uint.TryParse(parts[1], System.Globalization.NumberStyles.HexNumber, null, out var hash) || hash != parsed.KeyHash)
        {
            throw new FormatException("The verifier key's hash does not match its name and key.");
        }

        return parsed;
    }

    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) => Verifier.Ed25519.Verify(PublicKey, message, signature);

    private static uint ComputeKeyHash(string name, byte[] publicKey)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[nameBytes.Length + 2 + publicKey.Length];
        nameBytes.CopyTo(input, 0);
        input[nameBytes.Length] = (byte)'\n';
        input[nameBytes.Length + 1] = Ed25519Algorithm;
        publicKey.CopyTo(input, nameBytes.Length + 2);
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(input));
    }
}

/// <summary>An Ed25519 signing key for notes. The seed is the secret; keep it in the vault or configuration.</summary>
public sealed class NoteSigningKey
{
    private readonly Ed25519PrivateKeyParameters _private;

    public NoteSigningKey(string name, ReadOnlySpan<byte> seed)
    {
        if (seed.Length != 32)
        {
            throw new ArgumentException("An Ed25519 seed is 32 bytes.", nameof(seed));
        }

        _private = new Ed25519PrivateKeyParameters(seed.ToArray());
        Verifier = new NoteVerifierKey(name, _private.GeneratePublicKey().GetEncoded());
    }

    public NoteVerifierKey Verifier { get; }

    public string Name => Verifier.Name;

    public static byte[] NewSeed() => RandomNumberGenerator.GetBytes(32);

    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        var signer = new Ed25519Signer();
        signer.Init(true, _private);
        signer.BlockUpdate(message);
        return signer.GenerateSignature();
    }
}
