using EvidenceVault.Custody.Verifier;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace EvidenceVault.Witness;

/// <summary>The witness's Ed25519 key: it makes tlog-cosignature v1 signatures and nothing else.</summary>
internal sealed class CosigningKey
{
    private readonly Ed25519PrivateKeyParameters _private;

    public CosigningKey(string name, byte[] seed)
    {
        if (seed.Length != 32)
        {
            throw new InvalidDataException("A witness key is a 32-byte Ed25519 seed (base64).");
        }

        _private = new Ed25519PrivateKeyParameters(seed);
        Public = CosignerKey.Of(name, _private.GeneratePublicKey().GetEncoded());
    }

    public CosignerKey Public { get; }

    /// <summary>The signature line stating that, at <paramref name="timestamp"/>, this is the largest consistent tree seen.</summary>
    public string Cosign(string checkpointBody, long timestamp)
    {
        var signer = new Ed25519Signer();
        signer.Init(true, _private);
        signer.BlockUpdate(CosignerKey.SignedMessage(checkpointBody, timestamp));
        return Public.Line(timestamp, signer.GenerateSignature());
    }
}
