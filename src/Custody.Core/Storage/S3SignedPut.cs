using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace EvidenceVault.Custody.Storage;

/// <summary>
/// One S3 PUT of an original, streamed from the spooled copy, signed with AWS Signature Version 4
/// using the SHA-256 and MD5 the store already computed while spooling: the signed payload hash is
/// the object's key, so the server itself checks that the bytes are what the key says (an
/// UNSIGNED-PAYLOAD upload, as rclone sends, was measured and not kept: the gain was within the noise and
/// the server would no longer vouch for the key); Content-MD5 makes it check them a second way and
/// its answer (the ETag) is compared. Nothing is hashed twice here or buffered (the Minio client
/// re-hashes each part for signing and holds parts in memory). Object-lock retention travels in the
/// same request. Used up to S3's single-PUT limit.
/// </summary>
internal sealed class S3SignedPut(HttpClient http, S3Options options, string region = "us-east-1")
{
    /// <summary>S3's largest single PUT; larger objects go through the client's multipart upload.</summary>
    public const long MaxSize = 5L << 30;

    /// <summary>Uploads the spooled file; returns the ETag the server answered with (the MD5 of what it stored), if any.</summary>
    public async Task<string?> PutAsync(string objectKey, string spooledFile, long size, Sha256Digest sha256, byte[] md5, DateTime retainUntilUtc, DateTime nowUtc, CancellationToken cancellationToken)
    {
        var endpoint = new Uri(options.Endpoint);
        var host = endpoint.IsDefaultPort ? endpoint.Host : $"{endpoint.Host}:{endpoint.Port.ToString(CultureInfo.InvariantCulture)}";
        var path = "/" + Uri.EscapeDataString(options.Bucket) + "/" + string.Join('/', objectKey.Split('/').Select(Uri.EscapeDataString));
        var amzDate = nowUtc.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var day = amzDate[..8];
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["content-md5"] = Convert.ToBase64String(md5),
            ["content-type"] = "application/octet-stream",
            ["host"] = host,
            ["x-amz-content-sha256"] = sha256.ToHex(),
            ["x-amz-date"] = amzDate,
            ["x-amz-object-lock-mode"] = "COMPLIANCE",
            ["x-amz-object-lock-retain-until-date"] = retainUntilUtc.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.000Z'", CultureInfo.InvariantCulture),
        };
        var signedHeaders = string.Join(';', headers.Keys);
        var canonical = $"PUT\n{path}\n\n{string.Concat(headers.Select(h => $"{h.Key}:{h.Value}\n"))}\n{signedHeaders}\n{sha256.ToHex()}";
        var scope = $"{day}/{region}/s3/aws4_request";
        var toSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var key = Hmac(Hmac(Hmac(Hmac(Encoding.UTF8.GetBytes("AWS4" + options.SecretKey), day), region), "s3"), "aws4_request");
        var signature = Convert.ToHexStringLower(Hmac(key, toSign));

        // Unbuffered: the content copies in pooled megabyte chunks, a FileStream buffer would be a fresh one per clip.
        await using var body = new FileStream(spooledFile, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(endpoint, path));
        request.Content = new StreamContent(body, 1 << 20);
        request.Content.Headers.ContentLength = size;
        request.Content.Headers.ContentMD5 = md5;
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        foreach (var (name, value) in headers.Where(h => h.Key.StartsWith("x-amz-", StringComparison.Ordinal)))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        request.Headers.TryAddWithoutValidation("Authorization", $"AWS4-HMAC-SHA256 Credential={options.AccessKey}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response.Headers.ETag?.Tag;
        }

        var detail = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var message = Explain(objectKey, (int)response.StatusCode, detail);
        // 5xx and throttling are waited out by the store's retries; anything else is a refusal.
        throw (int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests
            ? new HttpRequestException(message, null, response.StatusCode)
            : new VaultException(message);
    }

    /// <summary>One line naming what the server objected to, from its S3 error document.</summary>
    internal static string Explain(string objectKey, int status, string body)
    {
        string? Element(string name)
        {
            var start = body.IndexOf($"<{name}>", StringComparison.Ordinal);
            var end = body.IndexOf($"</{name}>", StringComparison.Ordinal);
            return start >= 0 && end > start ? body[(start + name.Length + 2)..end] : null;
        }

        var code = Element("Code");
        return code switch
        {
            "RequestTimeTooSkewed" => $"S3 refused the upload of {objectKey}: this machine's clock differs from the S3 server's by more than 15 minutes (RequestTimeTooSkewed); set its time (NTP) and dock again.",
            "BadDigest" or "XAmzContentSHA256Mismatch" => $"S3 refused the upload of {objectKey}: the bytes sent differ from the ones hashed while spooling ({code}); the spooled copy changed. Nothing was stored.",
            "NoSuchBucket" => $"S3 refused the upload of {objectKey}: the bucket does not exist (NoSuchBucket).",
            "SignatureDoesNotMatch" or "InvalidAccessKeyId" or "AccessDenied" => $"S3 refused the upload of {objectKey}: the credentials were refused ({code}).",
            null => $"S3 refused the upload of {objectKey}: {status} {body}",
            _ => $"S3 refused the upload of {objectKey}: {status} {code}: {Element("Message")}",
        };
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));
}
