using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Minio;
using Polly;
using Polly.Retry;
using Minio.DataModel.Args;
using Minio.DataModel.ObjectLock;
using Minio.Exceptions;
using NodaTime;

namespace EvidenceVault.Custody.Storage;

/// <summary>Where the deployment keeps originals: an S3 endpoint (MinIO or Ceph RGW) and a bucket with object lock.</summary>
/// <param name="Endpoint">http(s)://host:port</param>
/// <param name="RetentionDays">COMPLIANCE retention given to every new object (R5, R6); extended by policy, never shortened.</param>
/// <param name="RetryAttempts">Retries of an operation the server failed transiently (down, restarting, overloaded).</param>
/// <param name="FirstRetryDelay">Delay before the first retry; doubling, with jitter, at most 30 s. Default 1 s.</param>
/// <param name="UploadAnswerTimeout">
/// How long one upload may take beyond moving its bytes at 1 MiB/s before it is given up with a clear
/// error (a full or stalled cluster holds a PUT open without answering). Default 2 minutes.
/// </param>
public sealed record S3Options(string Endpoint, string AccessKey, string SecretKey, string Bucket, int RetentionDays = 3650, int RetryAttempts = 8, TimeSpan? FirstRetryDelay = null, TimeSpan? UploadAnswerTimeout = null)
{
    /// <summary>The longest one upload attempt of <paramref name="size"/> bytes may take.</summary>
    public TimeSpan UploadTimeout(long size) => (UploadAnswerTimeout ?? TimeSpan.FromMinutes(2)) + TimeSpan.FromSeconds(size / (double)(1 << 20));
}

/// <summary>
/// Originals on S3 under <c>sha256/&lt;hex&gt;</c> in a bucket created with Object Lock, each written
/// with COMPLIANCE retention so that not even an administrator can delete it inside the period (R5).
/// A put spools the stream to a local file while hashing it with SHA-256, uploads it under its hash
/// with that hash signed as the payload's, so the server checks every byte before it stores them
/// (<see cref="S3SignedPut"/>; checked at connection that it does), and multipart uploads are
/// checked for their stored size.
/// An existing key is a no-op. Checkpoints are published under <c>checkpoints/</c> with retention too.
/// </summary>
public sealed class S3ObjectStore : IObjectStore
{
    private const string ObjectPrefix = "sha256/";
    private readonly IMinioClient _client;
    private readonly S3Options _options;
    private readonly string _spool;
    private readonly IClock _clock;
    private readonly ResiliencePipeline _retry;
    private readonly S3SignedPut _put;

    /// <summary>
    /// Versions this process stored, the server having checked their bytes, or read and hashed itself:
    /// a dock's registration right after its upload needs no second read. Bounded; a miss costs one read.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Sha256Digest, StoredObject> _verified = new();

    private S3ObjectStore(IMinioClient client, S3Options options, string spool, IClock clock)
    {
        _put = new S3SignedPut(Http, options);
        _client = client;
        _options = options;
        _spool = spool;
        _clock = clock;
        // A restarting gateway or a dropped connection is waited out; a refusal (credentials, lock,
        // a missing object) is not retried. Every operation is idempotent: keys are content hashes.
        _retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<Minio.Exceptions.ConnectionException>()
                .Handle<IOException>().Handle<MinioException>(IsTransient),
            MaxRetryAttempts = options.RetryAttempts,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = options.FirstRetryDelay ?? TimeSpan.FromSeconds(1),
            MaxDelay = TimeSpan.FromSeconds(30),
            OnRetry = args =>
            {
                Serilog.Log.Warning("S3 at {Endpoint}: {Error}; retry {Attempt} in {Delay}", options.Endpoint, args.Outcome.Exception?.Message, args.AttemptNumber + 1, args.RetryDelay);
                return ValueTask.CompletedTask;
            },
        }).Build();
    }

    /// <summary>One connection pool for every store in the process (uploads stream from the spool file).</summary>
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromHours(2) };

    private static bool IsTransient(MinioException e) =>
        e is not (ObjectNotFoundException or AccessDeniedException or BucketNotFoundException) &&
        (e.InnerException is HttpRequestException or IOException || e.Message.Contains("ServiceUnavailable", StringComparison.Ordinal) ||
         e.Message.Contains("SlowDown", StringComparison.Ordinal) || e.Message.Contains("InternalError", StringComparison.Ordinal) ||
         e.Message.Contains("Connection", StringComparison.OrdinalIgnoreCase));

    /// <summary>Connects, checks the credentials at once (a clear error, not a failure on the first clip) and creates the locked bucket if needed.</summary>
    /// <param name="clock">The wall clock (the program's, from its composition): requests are signed with its time and locks dated from it.</param>
    public static async Task<S3ObjectStore> ConnectAsync(S3Options options, string spoolDirectory, IClock clock, CancellationToken cancellationToken = default)
    {
        var endpoint = new Uri(options.Endpoint);
        var client = new MinioClient()
            .WithEndpoint(endpoint.Host, endpoint.Port)
            .WithCredentials(options.AccessKey, options.SecretKey)
            .WithSSL(endpoint.Scheme == Uri.UriSchemeHttps)
            .WithTimeout((int)(options.UploadAnswerTimeout ?? TimeSpan.FromMinutes(2)).TotalMilliseconds) // a stalled cluster is named, not waited on
            .Build();
        Directory.CreateDirectory(spoolDirectory);
        var store = new S3ObjectStore(client, options, spoolDirectory, clock);
        try
        {
            var existed = await client.BucketExistsAsync(new BucketExistsArgs().WithBucket(options.Bucket), cancellationToken).ConfigureAwait(false);
            if (!existed)
            {
                await client.MakeBucketAsync(new MakeBucketArgs().WithBucket(options.Bucket).WithObjectLock(), cancellationToken).ConfigureAwait(false);
            }

            // A single PUT counts as verified because the server checks the payload against its signed
            // SHA-256; a server (or a proxy before it) that did not would let a changed spool file into
            // custody. Sent while the lock is checked: independent requests, made at once.
            var refusesMismatch = store.RefusesMismatchedPayloadAsync(cancellationToken);
            if (existed && !await HasObjectLockAsync(client, options.Bucket, cancellationToken).ConfigureAwait(false))
            {
                // R5: originals in a bucket without object lock could be deleted by whoever holds its keys.
                throw new VaultException($"The bucket {options.Bucket} at {options.Endpoint} was created without Object Lock: originals cannot be locked there (R5). Use a bucket created with Object Lock.");
            }

            if (!await refusesMismatch.ConfigureAwait(false))
            {
                throw new VaultException($"The S3 server at {options.Endpoint} stored a payload that did not match its signed SHA-256 (object {PayloadCheckKey} in bucket {options.Bucket}): it does not check what it is sent, so uploads could not be verified. Use a server that checks x-amz-content-sha256 (MinIO, Ceph RGW, AWS S3).");
            }
        }
        catch (MinioException e) when (e is AccessDeniedException || e.Message.Contains("AccessDenied", StringComparison.Ordinal) || e.Message.Contains("SignatureDoesNotMatch", StringComparison.Ordinal) || e.Message.Contains("InvalidAccessKeyId", StringComparison.Ordinal))
        {
            throw new VaultException($"The S3 server at {options.Endpoint} refused the credentials for bucket {options.Bucket}: {e.Message}", e);
        }
        catch (Exception e) when (e is MinioException or HttpRequestException)
        {
            throw new VaultException($"The S3 server at {options.Endpoint} cannot be used: {e.Message}", e);
        }

        return store;
    }

    /// <summary>Where the connection's payload check is sent; a conforming server stores nothing there.</summary>
    private const string PayloadCheckKey = "probe/payload-check";

    private Task<bool> RefusesMismatchedPayloadAsync(CancellationToken cancellationToken) =>
        _put.RefusesMismatchedPayloadAsync(PayloadCheckKey, _spool, _clock.GetCurrentInstant().ToDateTimeUtc(), cancellationToken);

    private static async Task<bool> HasObjectLockAsync(IMinioClient client, string bucket, CancellationToken cancellationToken)
    {
        try
        {
            var configuration = await client.GetObjectLockConfigurationAsync(new GetObjectLockConfigurationArgs().WithBucket(bucket), cancellationToken).ConfigureAwait(false);
            return configuration?.ObjectLockEnabled == "Enabled";
        }
        catch (MinioException e) when (e.Message.Contains("ObjectLockConfigurationNotFound", StringComparison.Ordinal) || e is MissingObjectLockConfigurationException)
        {
            return false;
        }
        catch (ArgumentNullException)
        {
            // Minio 7.0.0 fails to build its exception from RGW's 404 ObjectLockConfigurationNotFoundError
            // (a null message); a bucket with a lock configuration answers 200 and never gets here.
            return false;
        }
    }

    public async Task<StoredObject> PutAsync(Stream source, CancellationToken cancellationToken = default) =>
        await StoreAsync(await SpoolAsync(source, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>Spool copies of processes that died mid-upload (named <c>PID-…</c> like the folder store's).</summary>
    public int RemoveAbandonedTemporaryFiles() => Posix.RemoveFilesOfGoneProcesses(_spool);

    /// <summary>None: an original in the bucket is copied out (and checked) before a tool reads it.</summary>
    public string? LocalFileOf(Sha256Digest key) => null;

    /// <summary>Reads source into the local spool, hashing it: the SHA-256 is the object's key and the PUT's signed payload hash.</summary>
    public Task<SpooledObject> SpoolAsync(Stream source, CancellationToken cancellationToken = default) =>
        SpoolAsync(source, 1 << 20, cancellationToken);

    public async Task<SpooledObject> SpoolAsync(Stream source, int bufferBytes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferBytes, 4096);
        var spooled = Path.Combine(_spool, $"{Environment.ProcessId}-{Guid.NewGuid():N}.part");
        try
        {
            long size = 0;
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var file = new FileStream(spooled, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                // A pooled buffer: a fresh megabyte per clip churned the large-object heap into full collections.
                var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(bufferBytes);
                try
                {
                    int read;
                    while ((read = await source.ReadAsync(buffer.AsMemory(0, bufferBytes), cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        sha.AppendData(buffer, 0, read);
                        await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                        size += read;
                    }
                }
                finally
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                }
            }

            // No fsync: the spool is a staging copy; durability comes from the store's answer,
            // and the camera keeps its original until custody is verified.
            return new SpooledObject(new Sha256Digest(sha.GetHashAndReset()), size, spooled);
        }
        catch
        {
            File.Delete(spooled);
            throw;
        }
    }

    public async Task<StoredObject> StoreAsync(SpooledObject spooled, CancellationToken cancellationToken = default)
    {
        using (spooled)
        {
            try
            {
                return await UploadAsync(spooled.File, spooled.Key, spooled.Size, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new VaultException($"S3 at {_options.Endpoint} did not answer the upload of {ObjectPrefix}{spooled.Key.ToHex()} ({spooled.Size} bytes) in time (at most {_options.UploadTimeout(spooled.Size).TotalSeconds:F0} s a request): the store may be full or stalled; ask its operator. Nothing was ledgered; the original stays on the camera.");
            }
        }
    }

    /// <summary>
    /// The spooled original under its key, verified before it returns, with the version id of exactly
    /// those bytes (R5, 001 §27: what custody names must be the unaltered original). An object already under the key is not taken for the original (issue 18 §10): anyone
    /// holding the store's credentials can put other bytes of the same size there before a dock comes,
    /// and a size is no proof. Unless this process itself stored or verified them, the original is
    /// uploaded again, checked by the server, and becomes a version of its own.
    /// </summary>
    private async Task<StoredObject> UploadAsync(string spooled, Sha256Digest key, long size, CancellationToken cancellationToken)
    {
        if (_verified.TryGetValue(key, out var known) && known.Size == size)
        {
            return known with { AlreadyStored = true };
        }

        var existed = await SizeAsync(key, cancellationToken).ConfigureAwait(false) is not null;

        // The spooled copy is uploaded again from its start on each retry.
        if (size <= S3SignedPut.MaxSize)
        {
            // Verified before custody is claimed: the server checked every byte against the signed
            // SHA-256 (the key) before answering, so no second request is made (one per clip, queued
            // behind the gateway's writes, cost as much as the upload under load; docs/benchmarks.md).
            var version = await _retry.ExecuteAsync(async token =>
            {
                // The signature carries the injected wall clock's time (a dock whose clock is off by more
                // than 15 minutes is refused by the server with RequestTimeTooSkewed, named in the error).
                var retainUntil = (_clock.GetCurrentInstant() + RetentionPeriod()).ToDateTimeUtc();
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(token);
                attempt.CancelAfter(_options.UploadTimeout(size));
                // A time-out is not retried (PutAsync turns it into a clear error): a cluster that
                // stops answering is full or stalled, and waiting again only hides it.
                return await _put.PutAsync(ObjectPrefix + key.ToHex(), spooled, size, key, retainUntil, _clock.GetCurrentInstant().ToDateTimeUtc(), attempt.Token).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
            return Remember(new StoredObject(key, size, existed, version));
        }

        await _retry.ExecuteAsync(async token =>
        {
            // Over HTTP the Minio client signs each part with its SHA-256, which the server checks likewise;
            // over HTTPS it sends parts unsigned under TLS. Either way the stored size is checked below.
            await using var upload = File.OpenRead(spooled);
            await _client.PutObjectAsync(new PutObjectArgs()
                .WithBucket(_options.Bucket)
                .WithObject(ObjectPrefix + key.ToHex())
                .WithStreamData(upload)
                .WithObjectSize(size)
                .WithContentType("application/octet-stream")
                .WithRetentionConfiguration(Retention()), token).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        // The client's multipart answer carries neither a usable ETag on RGW nor the version id (Minio 7.0.0):
        // the newest version, the one just completed unless another was put in the same instant, is stat'ed.
        var stat = await _retry.ExecuteAsync(async token => await _client.StatObjectAsync(new StatObjectArgs().WithBucket(_options.Bucket).WithObject(ObjectPrefix + key.ToHex()), token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        if (stat.Size != size)
        {
            throw new VaultException($"Object {key} did not arrive whole on S3 (size {stat.Size} of {size}).");
        }

        return Remember(new StoredObject(key, size, existed, string.IsNullOrEmpty(stat.VersionId) ? null : stat.VersionId));
    }

    private StoredObject Remember(StoredObject stored)
    {
        if (_verified.Count >= 100_000)
        {
            _verified.Clear();
        }

        _verified[stored.Key] = stored with { AlreadyStored = false };
        return stored;
    }

    /// <summary>
    /// A version under the key whose bytes this process verified: the one it stored itself, or else the
    /// newest version that reads back whole and hashes to the key (one read of the object, made once).
    /// </summary>
    public async Task<StoredObject?> FindVerifiedAsync(Sha256Digest key, long size, CancellationToken cancellationToken = default)
    {
        if (_verified.TryGetValue(key, out var known))
        {
            return known.Size == size ? known with { AlreadyStored = true } : null;
        }

        var name = ObjectPrefix + key.ToHex();
        var local = Path.Combine(_spool, $"{Environment.ProcessId}-{Guid.NewGuid():N}.find");
        try
        {
            var versions = await VersionsAsync(name, cancellationToken).ConfigureAwait(false);
            for (var i = versions.Count - 1; i >= 0; i--)
            {
                if (await DownloadAndHashAsync(name, versions[i], local, cancellationToken).ConfigureAwait(false) == key && new FileInfo(local).Length == size)
                {
                    return Remember(new StoredObject(key, size, AlreadyStored: true, versions[i]));
                }
            }

            return null;
        }
        finally
        {
            File.Delete(local);
        }
    }

    public async Task<long?> SizeAsync(Sha256Digest key, string? version, CancellationToken cancellationToken = default)
    {
        try
        {
            return await _retry.ExecuteAsync(async token =>
            {
                var args = new StatObjectArgs().WithBucket(_options.Bucket).WithObject(ObjectPrefix + key.ToHex());
                return (await _client.StatObjectAsync(version is null ? args : args.WithVersionId(version), token).ConfigureAwait(false)).Size;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
    }

    public async Task<bool> ExistsAsync(Sha256Digest key, CancellationToken cancellationToken = default) =>
        await SizeAsync(key, cancellationToken).ConfigureAwait(false) is not null;

    public Task<long?> SizeAsync(Sha256Digest key, CancellationToken cancellationToken = default) => SizeAsync(key, null, cancellationToken);

    /// <summary>
    /// Downloads to a temporary file that is deleted when the stream closes (originals can be
    /// gigabytes), and hands it out only if its bytes hash to the key. Object lock keeps the locked
    /// version but lets anyone with the application's credentials put a newer one over it (or a delete
    /// marker): then the versions of the key are searched for the one that is the original, and only
    /// that is served; the newer version is an attempt on it, named in the log (issue 18 §10).
    /// </summary>
    public async Task<Stream> OpenReadAsync(Sha256Digest key, string? version, CancellationToken cancellationToken = default)
    {
        var name = ObjectPrefix + key.ToHex();
        var local = Path.Combine(_spool, $"{Environment.ProcessId}-{Guid.NewGuid():N}.read");
        if (version is not null)
        {
            // Exactly the version verified at ingest: whatever else sits over the key is never read.
            Sha256Digest actual;
            try
            {
                actual = await DownloadAndHashAsync(name, version, local, cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectNotFoundException)
            {
                File.Delete(local);
                throw new FileNotFoundException($"Object {key}: the version {version} verified at ingest is not in the store.");
            }

            if (actual == key)
            {
                return Served(local);
            }

            var length = new FileInfo(local).Length;
            File.Delete(local);
            throw new InvalidDataException($"Object {key} is damaged: the version {version} verified at ingest now holds other bytes (SHA-256 {actual}, {length} bytes).");
        }

        string? latestProblem;
        try
        {
            var actual = await DownloadAndHashAsync(name, null, local, cancellationToken).ConfigureAwait(false);
            if (actual == key)
            {
                return Served(local);
            }

            latestProblem = $"its newest version holds other bytes (SHA-256 {actual}, {new FileInfo(local).Length} bytes)";
        }
        catch (ObjectNotFoundException)
        {
            latestProblem = "its newest version is a delete marker";
        }

        File.Delete(local);
        foreach (var candidate in await VersionsAsync(name, cancellationToken).ConfigureAwait(false))
        {
            if (await DownloadAndHashAsync(name, candidate, local, cancellationToken).ConfigureAwait(false) == key)
            {
                Serilog.Log.Error("Object {Key}: {Problem}, put over the original by someone holding the store's credentials; serving the original version {Version}", key, latestProblem, candidate);
                return Served(local);
            }
        }

        File.Delete(local);

        throw new FileNotFoundException($"Object {key} is not in the store as the original: {latestProblem}, and no version of it hashes to its key.");
    }

    /// <summary>
    /// Whether anything other than the original sits over the key (a newer version or a delete marker),
    /// and what: custody verify names it. With the <paramref name="recorded"/> versions (those verified at
    /// ingest), a newest version among them costs one HEAD; a version no entry recorded is read and is an
    /// attempt unless its bytes are the original's (the same clip uploaded again).
    /// </summary>
    public async Task<string?> AttemptOnAsync(Sha256Digest key, IReadOnlyCollection<string> recorded, CancellationToken cancellationToken = default)
    {
        var name = ObjectPrefix + key.ToHex();
        var local = Path.Combine(_spool, $"{Environment.ProcessId}-{Guid.NewGuid():N}.check");
        try
        {
            if (recorded.Count > 0)
            {
                return await UnrecordedVersionsAsync(key, name, recorded, local, cancellationToken).ConfigureAwait(false);
            }

            var actual = await DownloadAndHashAsync(name, null, local, cancellationToken).ConfigureAwait(false);
            return actual == key ? null : $"object {key}: a newer version with other bytes (SHA-256 {actual}) was put over the original: an attempt on it (the original version is still locked and is what is served)";
        }
        catch (ObjectNotFoundException)
        {
            return $"object {key}: a delete marker was put over the original: an attempt on it";
        }
        finally
        {
            File.Delete(local);
        }
    }

    /// <summary>
    /// Every version under the key that no entry recorded, read: other bytes there are an attempt (put
    /// over the original, or under its key before the dock came), the same bytes a duplicate upload.
    /// A delete marker over the original is an attempt too. Null when there is none.
    /// </summary>
    private async Task<string?> UnrecordedVersionsAsync(Sha256Digest key, string name, IReadOnlyCollection<string> recorded, string local, CancellationToken cancellationToken)
    {
        var attempts = new List<string>();
        string? newest = null;
        try
        {
            newest = (await _retry.ExecuteAsync(async token => await _client.StatObjectAsync(new StatObjectArgs().WithBucket(_options.Bucket).WithObject(name), token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false)).VersionId;
        }
        catch (ObjectNotFoundException)
        {
            attempts.Add($"object {key}: a delete marker was put over the original: an attempt on it");
        }

        foreach (var version in (await VersionsAsync(name, cancellationToken).ConfigureAwait(false)).Where(v => !recorded.Contains(v)))
        {
            var actual = await DownloadAndHashAsync(name, version, local, cancellationToken).ConfigureAwait(false);
            if (actual != key)
            {
                attempts.Add(version == newest
                    ? $"object {key}: a newer version {version} with other bytes (SHA-256 {actual}) was put over the original: an attempt on it (the version verified at ingest is what is served)"
                    : $"object {key}: a version {version} with other bytes (SHA-256 {actual}) was put under the original's key: an attempt on it (the version verified at ingest is what is served)");
            }
        }

        return attempts.Count == 0 ? null : string.Join("; ", attempts);
    }

    /// <summary>Downloads one version (the newest when null) to <paramref name="local"/>, replacing what was there, and hashes what arrived.</summary>
    private async Task<Sha256Digest> DownloadAndHashAsync(string name, string? version, string local, CancellationToken cancellationToken)
    {
        File.Delete(local);
        await _retry.ExecuteAsync(async token =>
        {
            var args = new GetObjectArgs().WithBucket(_options.Bucket).WithObject(name).WithFile(local);
            await _client.GetObjectAsync(version is null ? args : args.WithVersionId(version), token).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        using var file = new FileStream(local, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return new Sha256Digest(System.Security.Cryptography.SHA256.HashData(file));
    }

    /// <summary>A downloaded original handed out: the temporary file goes when the stream closes.</summary>
    private static FileStream Served(string local) =>
        new(local, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.DeleteOnClose | FileOptions.SequentialScan);

    /// <summary>Every version of the key (not delete markers), oldest first: the original is the first one written.</summary>
    private async Task<List<string>> VersionsAsync(string name, CancellationToken cancellationToken)
    {
        var versions = new List<(DateTime Modified, string Id)>();
        await foreach (var item in _client.ListObjectsEnumAsync(new ListObjectsArgs().WithBucket(_options.Bucket).WithPrefix(name).WithVersions(true), cancellationToken).ConfigureAwait(false))
        {
            if (item.Key == name && !string.IsNullOrEmpty(item.VersionId))
            {
                versions.Add((item.LastModifiedDateTime ?? DateTime.MinValue, item.VersionId));
            }
        }

        return [.. versions.OrderBy(v => v.Modified).Select(v => v.Id)];
    }

    public async IAsyncEnumerable<Sha256Digest> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in _client.ListObjectsEnumAsync(new ListObjectsArgs().WithBucket(_options.Bucket).WithPrefix(ObjectPrefix).WithRecursive(true), cancellationToken).ConfigureAwait(false))
        {
            yield return Sha256Digest.TryParseHex(item.Key[ObjectPrefix.Length..], out var key)
                ? key
                : throw new InvalidDataException($"Unexpected object in the store: {item.Key}");
        }
    }

    public async Task PublishNoteAsync(string series, long size, string note, CancellationToken cancellationToken = default)
    {
        if (await ReadNoteAsync(series, size, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            if (existing != note)
            {
                throw new InvalidOperationException(series == PublishedSeries.Checkpoints
                    ? $"A different checkpoint for size {size} is already published."
                    : $"A different note in {series} for size {size} is already published.");
            }

            return;
        }

        var bytes = System.Text.Encoding.UTF8.GetBytes(note);
        await _retry.ExecuteAsync(async token =>
        {
            using var stream = new MemoryStream(bytes);
            await _client.PutObjectAsync(new PutObjectArgs().WithBucket(_options.Bucket).WithObject(NoteKey(series, size))
                .WithStreamData(stream).WithObjectSize(bytes.Length).WithContentType("text/plain; charset=utf-8")
                .WithRetentionConfiguration(Retention()), token).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<long>> ListNotesAsync(string series, CancellationToken cancellationToken = default)
    {
        var prefix = PublishedSeries.Check(series) + "/";
        var sizes = new List<long>();
        await foreach (var item in _client.ListObjectsEnumAsync(new ListObjectsArgs().WithBucket(_options.Bucket).WithPrefix(prefix).WithRecursive(true), cancellationToken).ConfigureAwait(false))
        {
            if (long.TryParse(item.Key[prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            {
                sizes.Add(size);
            }
        }

        sizes.Sort();
        return sizes;
    }

    public async Task<string?> ReadNoteAsync(string series, long size, CancellationToken cancellationToken = default)
    {
        try
        {
            return await _retry.ExecuteAsync(async token =>
            {
                using var buffer = new MemoryStream();
                await _client.GetObjectAsync(new GetObjectArgs().WithBucket(_options.Bucket).WithObject(NoteKey(series, size))
                    .WithCallbackStream((stream, t) => stream.CopyToAsync(buffer, t)), token).ConfigureAwait(false);
                return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// The latest retain-until date set: Ceph RGW keeps it in 32 bits of seconds, so a date after
    /// 2106-02-07 wraps into the past (measured: 2126 came back as 1990), which would unlock the
    /// original. Locks end at the start of 2100 at the latest and are renewed before then.
    /// </summary>
    public static readonly Instant LatestLock = Instant.FromUtc(2100, 1, 1, 0, 0);

    public async Task<Instant?> ExtendRetentionAsync(Sha256Digest key, Instant until, IReadOnlyCollection<string> recorded, CancellationToken cancellationToken = default)
    {
        var name = ObjectPrefix + key.ToHex();
        var target = Instant.FromUnixTimeSeconds((until > LatestLock ? LatestLock : until).ToUnixTimeSeconds());
        // Exactly the versions verified at ingest, never "the latest": a version put over the original must
        // not take its extension while the original's lock runs out (issue 18 §10). Entries written before
        // versions were recorded extend every version of the key (the oldest one is the original).
        var versions = recorded.Count > 0 ? [.. recorded] : await VersionsAsync(name, cancellationToken).ConfigureAwait(false);
        Instant? original = null;
        foreach (var version in versions.Count > 0 ? versions.Cast<string?>() : [null])
        {
            var locked = await _retry.ExecuteAsync(async token =>
            {
                var currentUntil = await LockedUntilAsync(name, version, token).ConfigureAwait(false);
                if (currentUntil >= target)
                {
                    return currentUntil;
                }

                var args = new SetObjectRetentionArgs().WithBucket(_options.Bucket).WithObject(name)
                    .WithRetentionMode(ObjectRetentionMode.COMPLIANCE).WithRetentionUntilDate(target.ToDateTimeUtc());
                await _client.SetObjectRetentionAsync(version is null ? args : args.WithVersionId(version), token).ConfigureAwait(false);

                // Read back: a server that stored another date has not locked what the ledger would claim.
                var stored = await LockedUntilAsync(name, version, token).ConfigureAwait(false);
                return stored == target
                    ? target
                    : throw new VaultException($"The S3 server stored retention until {stored?.ToString() ?? "(none)"} for {key}, not {target}: the object is not locked as R6 requires.");
            }, cancellationToken).ConfigureAwait(false);
            original ??= locked;
        }

        return original;
    }

    private async Task<Instant?> LockedUntilAsync(string name, string? version, CancellationToken cancellationToken)
    {
        var args = new GetObjectRetentionArgs().WithBucket(_options.Bucket).WithObject(name);
        ObjectRetentionConfiguration? current;
        try
        {
            current = await _client.GetObjectRetentionAsync(version is null ? args : args.WithVersionId(version), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ArgumentNullException or MissingObjectLockConfigurationException)
        {
            // A version put without retention (one put over an original): RGW answers 404, which Minio
            // 7.0.0 fails to turn into an exception of its own (a null message), as in HasObjectLockAsync.
            return null;
        }

        return current?.RetainUntilDate is { Length: > 0 } text
            ? Instant.FromUnixTimeSeconds(DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUnixTimeSeconds())
            : null;
    }

    /// <summary>
    /// R6: the least retention the active policy profile requires of every original (e.g. at least six
    /// months, MPS 2016 Art. 13), set by the vault; the configured period applies when it is longer.
    /// </summary>
    public Func<Duration>? PolicyMinimum { get; set; }

    private Duration RetentionPeriod()
    {
        var configured = Duration.FromDays(_options.RetentionDays);
        return PolicyMinimum?.Invoke() is { } minimum && minimum > configured ? minimum : configured;
    }

    private ObjectRetentionConfiguration Retention() =>
        new((_clock.GetCurrentInstant() + RetentionPeriod()).ToDateTimeUtc(), ObjectRetentionMode.COMPLIANCE);

    private static string NoteKey(string series, long size) => PublishedSeries.Check(series) + "/" + size.ToString("D20", CultureInfo.InvariantCulture);
}
