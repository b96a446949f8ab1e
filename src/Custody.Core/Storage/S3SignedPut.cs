using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace EvidenceVault.Custody.Storage;

/// <summary>
/// One S3 PUT of an original, streamed from the spooled copy, signed with AWS Signature Version 4
/// using the SHA-256 the store computed while spooling. The signed payload hash is the object's key,
/// and the server hashes every byte it receives and refuses the request when they differ
/// (XAmzContentSHA256Mismatch), before anything is stored: its success answer is the verification,
/// made by the server, with the key's own hash, at no cost to the dock. (An MD5 computed beside it for
/// Content-MD5 and the ETag, as rclone verifies, was the dock's largest CPU cost and checked the same
/// bytes with a weaker hash; docs/benchmarks.md.) <see cref="S3ObjectStore"/> checks once per
/// connection that the server does refuse a mismatched payload. Nothing is hashed twice here or
/// buffered (the Minio client re-hashes each part for signing and holds parts in memory).
/// Object-lock retention travels in the same request. Used up to S3's single-PUT limit.
/// </summary>
internal sealed class S3SignedPut(HttpClient http, S3Options options, string region = "us-east-1")
{
    /// <summary>S3's largest single PUT; larger objects go through the client's multipart upload.</summary>
    public const long MaxSize = 5L << 30;

    /// <summary>
    /// Uploads the spooled file; returns once the server has checked every byte against <paramref name="sha256"/>
    /// and stored them, with the version id the server gave exactly those bytes (x-amz-version-id).
    /// </summary>
    public async Task<string?> PutAsync(string objectKey, string spooledFile, long size, Sha256Digest sha256, DateTime retainUntilUtc, DateTime nowUtc, CancellationToken cancellationToken)
    {
        var (status, detail, version) = await SendAsync(objectKey, spooledFile, size, sha256, retainUntilUtc, nowUtc, cancellationToken).ConfigureAwait(false);
        if (status is >= 200 and < 300)
        {
            return version;
        }

        var message = Explain(objectKey, status, detail);
        // 5xx and throttling are waited out by the store's retries; anything else is a refusal.
        throw status >= 500 || status == (int)HttpStatusCode.TooManyRequests
            ? new HttpRequestException(message, null, (HttpStatusCode)status)
            : new VaultException(message);
    }

    /// <summary>
    /// Whether the server refuses a payload that differs from its signed SHA-256, which is what makes
    /// a successful <see cref="PutAsync"/> a verification. Sends a few bytes signed with another hash
    /// under <paramref name="objectKey"/>, without retention: a conforming server stores nothing.
    /// </summary>
    public async Task<bool> RefusesMismatchedPayloadAsync(string objectKey, string spoolDirectory, DateTime nowUtc, CancellationToken cancellationToken)
    {
        var probe = Path.Combine(spoolDirectory, $"{Environment.ProcessId}-{Guid.NewGuid():N}.probe");
        await File.WriteAllBytesAsync(probe, "payload check: these bytes are not the signed ones"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        try
        {
            var (status, detail, _) = await SendAsync(objectKey, probe, new FileInfo(probe).Length, Sha256Digest.Of("other bytes"u8.ToArray()), null, nowUtc, cancellationToken).ConfigureAwait(false);
            if (status is >= 200 and < 300)
            {
                return false; // stored what it was told was something else
            }

            // Any refusal other than the digest's (credentials, a missing bucket) is named as it is.
            var digestRefused = status == 400 && (detail.Contains("<Code>XAmzContentSHA256Mismatch</Code>", StringComparison.Ordinal) || detail.Contains("<Code>BadDigest</Code>", StringComparison.Ordinal));
            return digestRefused ? true : throw new VaultException(Explain(objectKey, status, detail));
        }
        finally
        {
            File.Delete(probe);
        }
    }

    private async Task<(int Status, string Body, string? Version)> SendAsync(string objectKey, string spooledFile, long size, Sha256Digest sha256, DateTime? retainUntilUtc, DateTime nowUtc, CancellationToken cancellationToken)
    {
        var endpoint = new Uri(options.Endpoint);
        var host = endpoint.IsDefaultPort ? endpoint.Host : $"{endpoint.Host}:{endpoint.Port.ToString(CultureInfo.InvariantCulture)}";
        var path = "/" + Uri.EscapeDataString(options.Bucket) + "/" + string.Join('/', objectKey.Split('/').Select(Uri.EscapeDataString));
        var amzDate = nowUtc.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var day = amzDate[..8];
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["content-type"] = "application/octet-stream",
            ["host"] = host,
            ["x-amz-content-sha256"] = sha256.ToHex(),
            ["x-amz-date"] = amzDate,
        };
        if (retainUntilUtc is { } until)
        {
            headers["x-amz-object-lock-mode"] = "COMPLIANCE";
            headers["x-amz-object-lock-retain-until-date"] = until.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.000Z'", CultureInfo.InvariantCulture);
        }

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
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        foreach (var (name, value) in headers.Where(h => h.Key.StartsWith("x-amz-", StringComparison.Ordinal)))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        request.Headers.TryAddWithoutValidation("Authorization", $"AWS4-HMAC-SHA256 Credential={options.AccessKey}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode
            ? ((int)response.StatusCode, string.Empty, response.Headers.TryGetValues("x-amz-version-id", out var version) ? version.FirstOrDefault() : null)
            : ((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false), null);
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
