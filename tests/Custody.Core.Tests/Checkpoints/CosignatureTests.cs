using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using EvidenceVault.Custody.Verifier;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace EvidenceVault.Custody.Tests.Checkpoints;

/// <summary>
/// c2sp.org/tlog-cosignature v1 as the specification writes it, built here by hand (key ID, timestamped
/// signature, signed message) with the RFC 8032 test key of shared/vectors/merkle.md, and checked by
/// the court's verifier: what any conforming witness signs, ours accepts, and nothing else.
/// </summary>
public sealed class CosignatureTests
{
    private const string Name = "witness.example/w1";
    private const string Body = "example.com/custody-test\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n";
    private static readonly byte[] Seed = Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    private static readonly byte[] Public = Convert.FromHexString("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");

    [Fact]
    public void Parse_VkeyWithAlgorithm04_ComputesTheKeyIdOverTheNameAndKey()
    {
        var id = SHA256.HashData([.. Encoding.UTF8.GetBytes(Name), (byte)'\n', 0x04, .. Public])[..4];
        var text = $"{Name}+{Convert.ToHexStringLower(id)}+{Convert.ToBase64String([0x04, .. Public])}";

        var key = CosignerKey.Parse(text);

        key.KeyHash.Should().Be(BinaryPrimitives.ReadUInt32BigEndian(id));
        CosignerKey.Of(Name, Public).Text.Should().Be(text);
        // The agency's own (0x01) key is not a cosigner key: a court must not mistake one for the other.
        var act = () => CosignerKey.Parse($"{Name}+{Convert.ToHexStringLower(id)}+{Convert.ToBase64String([0x01, .. Public])}");
        act.Should().Throw<FormatException>();
    }

    [Fact]
    public void Verify_ACosignatureMadeAsTheSpecificationSays_ReturnsItsTime()
    {
        var key = CosignerKey.Of(Name, Public);
        var line = Line(key, 1679315147, Body);

        key.Verify(Body, ["— example.com/custody-test AAAA", line], out _).Should().Be(1679315147, "lines by other keys are ignored");
    }

    [Fact]
    public void Verify_OtherBodyTimeOrKey_IsRefused()
    {
        var key = CosignerKey.Of(Name, Public);
        var line = Line(key, 1679315147, Body);
        var blob = Convert.FromBase64String(line[(Name.Length + 3)..]);
        blob[11] ^= 1; // the timestamp, which the signature covers
        var retimed = $"— {Name} {Convert.ToBase64String(blob)}";
        var other = CosignerKey.Of("witness.example/w2", Public);

        key.Verify(Body.Replace("\n8\n", "\n9\n", StringComparison.Ordinal), [line], out var problem).Should().BeNull();
        problem.Should().Contain("does not verify");
        key.Verify(Body, [retimed], out _).Should().BeNull();
        other.Verify(Body, [line], out var missing).Should().BeNull("the key name is part of what is pinned");
        missing.Should().Be("no cosignature by witness.example/w2");
    }

    private static string Line(CosignerKey key, long time, string body)
    {
        var signer = new Ed25519Signer();
        signer.Init(true, new Ed25519PrivateKeyParameters(Seed));
        var message = Encoding.UTF8.GetBytes($"cosignature/v1\ntime {time}\n{body}");
        signer.BlockUpdate(message, 0, message.Length);
        var blob = new byte[76];
        BinaryPrimitives.WriteUInt32BigEndian(blob, key.KeyHash);
        BinaryPrimitives.WriteUInt64BigEndian(blob.AsSpan(4), (ulong)time);
        signer.GenerateSignature().CopyTo(blob, 12);
        return $"— {key.Name} {Convert.ToBase64String(blob)}";
    }
}
