using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace EvidenceVault.Custody.Verifier;

/// <summary>What an RFC 3161 time-stamp token over the checkpoint says, once checked.</summary>
public sealed record TimestampFacts(DateTimeOffset Time, string Authority, string CertificateSha256);

/// <summary>
/// Checks an RFC 3161 time-stamp token over the checkpoint file: DER as issued, a SHA-256 imprint of
/// exactly those bytes, the TSA's signature, and the TSA certificate's chain (to a certificate in the
/// token, or the one the court pins), valid for time-stamping at the stamped time.
/// </summary>
internal static class TimestampCheck
{
    private const string Sha256Oid = "2.16.840.1.101.3.4.2.1";
    private const string TimeStampingEku = "1.3.6.1.5.5.7.3.8";

    public static TimestampFacts? Verify(byte[] token, byte[] checkpoint, string? pinnedCertificateSha256, out string problem)
    {
        if (!Rfc3161TimestampToken.TryDecode(token, out var stamp, out var consumed) || consumed != token.Length)
        {
            problem = "not an RFC 3161 time-stamp token";
            return null;
        }

        var cms = stamp.AsSignedCms();
        if (!cms.Encode().AsSpan().SequenceEqual(token))
        {
            problem = "the token is not in the DER form it was issued in";
            return null;
        }

        if (stamp.TokenInfo.HashAlgorithmId.Value != Sha256Oid)
        {
            problem = "the token's imprint is not SHA-256";
            return null;
        }

        if (!stamp.VerifySignatureForData(checkpoint, out var signer) || signer is null)
        {
            problem = "the token's imprint or signature does not match custody/checkpoint.txt";
            return null;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = stamp.TokenInfo.Timestamp.UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(TimeStampingEku));
        foreach (var certificate in cms.Certificates)
        {
            if (certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData))
            {
                chain.ChainPolicy.CustomTrustStore.Add(certificate);
            }
            else
            {
                chain.ChainPolicy.ExtraStore.Add(certificate);
            }
        }

        if (!chain.Build(signer))
        {
            problem = "the TSA certificate does not chain: " + string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()));
            return null;
        }

        // A trust anchor's own signature is not checked by chain building; check it, so that no byte
        // of the token goes unexamined (and a damaged root cannot pass for the pinned one's twin).
        var root = chain.ChainElements[^1].Certificate;
        if (!SelfSignatureHolds(root))
        {
            problem = "the TSA's root certificate is damaged (its self-signature does not verify)";
            return null;
        }

        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(root.RawData));
        if (pinnedCertificateSha256 is not null && !string.Equals(pinnedCertificateSha256, fingerprint, StringComparison.OrdinalIgnoreCase))
        {
            problem = $"the TSA's root certificate {fingerprint} is not the pinned one";
            return null;
        }

        problem = string.Empty;
        return new TimestampFacts(stamp.TokenInfo.Timestamp, signer.Subject, fingerprint);
    }

    private static bool SelfSignatureHolds(X509Certificate2 certificate)
    {
        try
        {
            var reader = new AsnReader(certificate.RawData, AsnEncodingRules.DER);
            var certificateSequence = reader.ReadSequence();
            var tbs = certificateSequence.ReadEncodedValue();
            var algorithm = certificateSequence.ReadSequence().ReadObjectIdentifier();
            var signature = certificateSequence.ReadBitString(out _);
            using var rsa = certificate.GetRSAPublicKey();
            using var ecdsa = certificate.GetECDsaPublicKey();
            return algorithm switch
            {
                "1.2.840.113549.1.1.11" => rsa?.VerifyData(tbs.Span, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1) ?? false,
                "1.2.840.113549.1.1.12" => rsa?.VerifyData(tbs.Span, signature, HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1) ?? false,
                "1.2.840.113549.1.1.13" => rsa?.VerifyData(tbs.Span, signature, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1) ?? false,
                "1.2.840.10045.4.3.2" => ecdsa?.VerifyData(tbs.Span, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence) ?? false,
                "1.2.840.10045.4.3.3" => ecdsa?.VerifyData(tbs.Span, signature, HashAlgorithmName.SHA384, DSASignatureFormat.Rfc3279DerSequence) ?? false,
                "1.2.840.10045.4.3.4" => ecdsa?.VerifyData(tbs.Span, signature, HashAlgorithmName.SHA512, DSASignatureFormat.Rfc3279DerSequence) ?? false,
                _ => false,
            };
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            return false;
        }
    }
}
