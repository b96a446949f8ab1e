using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;

namespace EvidenceVault.Custody.Export;

/// <summary>
/// RFC 3161 client: asks a time-stamping authority to stamp the SHA-256 of the checkpoint file, with
/// a nonce and the TSA's certificate requested, checks the reply against the request and returns
/// the token's DER bytes.
/// </summary>
internal static class TimestampClient
{
    public static async Task<byte[]> StampAsync(Uri authority, byte[] data, CancellationToken cancellationToken)
    {
        var request = Rfc3161TimestampRequest.CreateFromData(data, HashAlgorithmName.SHA256, requestedPolicyId: null,
            nonce: RandomNumberGenerator.GetBytes(8), requestSignerCertificates: true);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var content = new ByteArrayContent(request.Encode());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/timestamp-query");
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsync(authority, content, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new VaultException($"The time-stamping authority {authority} cannot be reached: {e.Message}");
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new VaultException($"The time-stamping authority {authority} answered {(int)response.StatusCode} {response.ReasonPhrase}.");
            }

            var reply = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var token = request.ProcessResponse(reply, out _);
                return token.AsSignedCms().Encode();
            }
            catch (CryptographicException e)
            {
                throw new VaultException($"The time-stamping authority {authority} sent no valid stamp for this checkpoint: {e.Message}");
            }
        }
    }
}
