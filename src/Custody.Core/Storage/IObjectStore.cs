namespace EvidenceVault.Custody.Storage;

/// <summary>
/// Where originals live, content-addressed: the key is the SHA-256 of the bytes, so an original
/// cannot be replaced without changing its name (R5). Writing an existing key is a no-op, never an
/// overwrite. Also holds the published checkpoints, outside the catalog database, so that a
/// database rewritten on its own no longer matches what was published.
/// Implementations: the filesystem (embedded default) and S3/MinIO with object lock (deployment).
/// </summary>
public interface IObjectStore
{
    /// <summary>Removes partial copies left by processes that died mid-copy (never objects, never in custody); returns how many.</summary>
    int RemoveAbandonedTemporaryFiles();

    /// <summary>The original as a file on this machine that tools (ffprobe, ffmpeg) may read in place without changing it, or null when it must be copied out first.</summary>
    string? LocalFileOf(Sha256Digest key);

    /// <summary>
    /// Streams <paramref name="source"/> into the store, hashing as it writes, and makes the object
    /// durable before returning. Nothing is visible under the key unless all of it was written.
    /// </summary>
    Task<StoredObject> PutAsync(Stream source, CancellationToken cancellationToken = default);

    /// <summary>
    /// The first half of <see cref="PutAsync"/>: streams <paramref name="source"/> into the store's
    /// spool, hashing as it writes. Nothing is stored yet; disposing the result removes the spooled copy.
    /// For a caller that reads its next source while this one is being stored.
    /// </summary>
    Task<SpooledObject> SpoolAsync(Stream source, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="SpoolAsync(Stream, CancellationToken)"/> holding at most 2 × <paramref name="bufferBytes"/>
    /// of the source in memory at a time: for sources a stranger controls (an upload over the network,
    /// <see cref="SpoolBuffers.Network"/>), whose pace must not decide how much memory they pin.
    /// </summary>
    Task<SpooledObject> SpoolAsync(Stream source, int bufferBytes, CancellationToken cancellationToken = default);

    /// <summary>
    /// The second half of <see cref="PutAsync"/>: stores the spooled bytes under their key, durable
    /// and verified as <see cref="PutAsync"/> does (an existing key is a no-op). The spooled copy is
    /// consumed whether or not this succeeds.
    /// </summary>
    Task<StoredObject> StoreAsync(SpooledObject spooled, CancellationToken cancellationToken = default);

    Task<bool> ExistsAsync(Sha256Digest key, CancellationToken cancellationToken = default);

    /// <summary>Size of a stored object, or null when there is none.</summary>
    Task<long?> SizeAsync(Sha256Digest key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Size of exactly the <paramref name="version"/> recorded at ingest, or null when that version is not
    /// there; a null version (an entry written before versions were recorded) and the folder store, which
    /// has no versions, answer for whatever the key holds.
    /// </summary>
    Task<long?> SizeAsync(Sha256Digest key, string? version, CancellationToken cancellationToken = default);

    /// <summary>
    /// The original's bytes, handed out only when they hash to <paramref name="key"/>. With a
    /// <paramref name="version"/> (recorded at ingest) exactly that version is read; without one
    /// (the folder store, entries written before versions were recorded) whatever the store holds under the key.
    /// </summary>
    Task<Stream> OpenReadAsync(Sha256Digest key, string? version, CancellationToken cancellationToken = default);

    /// <summary>
    /// The stored object under <paramref name="key"/> whose bytes are verified to be the original's with
    /// <paramref name="size"/> bytes (the version to record at ingest), or null when the store holds no such bytes.
    /// For an upload made on its own before the ledger is asked (a dock over the network).
    /// </summary>
    Task<StoredObject?> FindVerifiedAsync(Sha256Digest key, long size, CancellationToken cancellationToken = default);

    IAsyncEnumerable<Sha256Digest> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a note of a published series (the checkpoints; each witness's cosignatures) once under
    /// its tree size, outside the database; the same note again is a no-op, a different one an error.
    /// </summary>
    Task PublishNoteAsync(string series, long size, string note, CancellationToken cancellationToken = default);

    /// <summary>The tree sizes published in <paramref name="series"/>, smallest first.</summary>
    Task<IReadOnlyList<long>> ListNotesAsync(string series, CancellationToken cancellationToken = default);

    Task<string?> ReadNoteAsync(string series, long size, CancellationToken cancellationToken = default);

    /// <summary>
    /// R6: keeps the original locked until at least <paramref name="until"/>; never shortens a lock.
    /// Returns the lock now in force, or null where the store has no locks (the embedded folder,
    /// whose protection is the append-only ledger and <c>custody verify</c>).
    /// </summary>
    /// <param name="versions">The versions recorded at ingest: only those are locked; none recorded (older entries) locks every version of the key.</param>
    Task<NodaTime.Instant?> ExtendRetentionAsync(Sha256Digest key, NodaTime.Instant until, IReadOnlyCollection<string> versions, CancellationToken cancellationToken = default);
}

/// <param name="Key">SHA-256 of the bytes.</param>
/// <param name="Size">Bytes stored.</param>
/// <param name="AlreadyStored">True when identical bytes were already in the store (one object, several custody facts).</param>
/// <param name="Version">The store's version id of exactly these verified bytes (S3), recorded in the custody entry; null on the folder store.</param>
public sealed record StoredObject(Sha256Digest Key, long Size, bool AlreadyStored, string? Version = null);

/// <summary>How much memory a spooled copy may hold at a time.</summary>
public static class SpoolBuffers
{
    /// <summary>
    /// Per buffer for a source on the network (Ingest.Api's uploads; two at a time). A client that
    /// sends a few megabytes and stalls pins at most twice this; large enough that the disk write and
    /// hash are not the bottleneck of a gigabit upload.
    /// </summary>
    public const int Network = 128 << 10;
}

/// <summary>Bytes read into a store's spool and hashed, not yet stored; disposing it removes the spooled copy.</summary>
/// <param name="Key">SHA-256 of the bytes.</param>
/// <param name="Size">Bytes spooled.</param>
/// <param name="File">The spooled copy, on the store's own disk.</param>
public sealed record SpooledObject(Sha256Digest Key, long Size, string File) : IDisposable
{
    public void Dispose() => System.IO.File.Delete(File);
}

/// <summary>The vault's own checkpoints: the series <see cref="PublishedSeries.Checkpoints"/>.</summary>
public static class PublishedCheckpoints
{
    /// <summary>Writes a signed checkpoint note once; the same note again is a no-op, a different one an error.</summary>
    public static Task PublishCheckpointAsync(this IObjectStore store, long size, string note, CancellationToken cancellationToken = default) =>
        store.PublishNoteAsync(PublishedSeries.Checkpoints, size, note, cancellationToken);

    public static Task<IReadOnlyList<long>> ListCheckpointsAsync(this IObjectStore store, CancellationToken cancellationToken = default) =>
        store.ListNotesAsync(PublishedSeries.Checkpoints, cancellationToken);

    public static Task<string?> ReadCheckpointAsync(this IObjectStore store, long size, CancellationToken cancellationToken = default) =>
        store.ReadNoteAsync(PublishedSeries.Checkpoints, size, cancellationToken);
}

/// <summary>Names of the published series: lower-case folder paths, one per kind of note.</summary>
public static class PublishedSeries
{
    public const string Checkpoints = "checkpoints";

    /// <summary>Cosignatures by one witness, named by its key's fingerprint (the name may hold any URL).</summary>
    public static string Cosignatures(string witnessFingerprint) => "cosignatures/" + witnessFingerprint[..16];

    internal static string Check(string series) =>
        series.Length > 0 && series.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '/' or '-') && !series.StartsWith('/') && !series.EndsWith('/') && !series.Contains("//", StringComparison.Ordinal)
            ? series
            : throw new ArgumentException($"'{series}' is not a published series name.", nameof(series));
}
