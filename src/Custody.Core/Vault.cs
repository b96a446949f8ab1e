using EvidenceVault.Custody.Catalog;
using EvidenceVault.Custody.Checkpoints;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Storage;
using Microsoft.Data.Sqlite;
using NodaTime;

namespace EvidenceVault.Custody;

/// <summary>Settings of an embedded vault (bound from configuration by the hosts).</summary>
public sealed record VaultOptions
{
    /// <summary>The dock station or server that runs this vault; recorded in every ingest. Default: the host name.</summary>
    public string Station { get; init; } = Environment.MachineName;

    /// <summary>The checkpoint origin line, unique per ledger. Default: <c>evidencevault.local/</c> and a random id.</summary>
    public string? Origin { get; init; }

    /// <summary>
    /// The Ed25519 seed (base64) when the agency supplies its signing key through configuration;
    /// otherwise the key is read from <see cref="SigningKeyFile"/>.
    /// </summary>
    public string? SigningKeySeed { get; init; }

    /// <summary>
    /// Where the signing key (base64 Ed25519 seed, mode 0600) is kept: never inside the data folder,
    /// so a copy of the folder cannot sign as the agency (docs/trust.md). Default: beside the folder,
    /// <c>DIR.signing-key</c>. Made at set-up unless it exists (an agency-provisioned key is used as given).
    /// </summary>
    public string? SigningKeyFile { get; init; }

    /// <summary>
    /// Options from the environment, for hosts without a configuration file:
    /// <c>EVIDENCEVAULT_STATION</c>, <c>EVIDENCEVAULT_ORIGIN</c>, <c>EVIDENCEVAULT_SIGNING_KEY</c> (base64 seed).
    /// </summary>
    public static VaultOptions FromEnvironment()
    {
        var defaults = new VaultOptions();
        return defaults with
        {
            Station = Environment.GetEnvironmentVariable("EVIDENCEVAULT_STATION") is { Length: > 0 } station ? station : defaults.Station,
            Origin = Environment.GetEnvironmentVariable("EVIDENCEVAULT_ORIGIN") is { Length: > 0 } origin ? origin : null,
            SigningKeySeed = Environment.GetEnvironmentVariable("EVIDENCEVAULT_SIGNING_KEY") is { Length: > 0 } seed ? seed : null,
            SigningKeyFile = Environment.GetEnvironmentVariable("EVIDENCEVAULT_SIGNING_KEY_FILE") is { Length: > 0 } keyFile ? keyFile : null,
            PolicyProfile = Environment.GetEnvironmentVariable("EVIDENCEVAULT_POLICY") is { Length: > 0 } policy ? policy : null,
            RefusalWindow = int.TryParse(Environment.GetEnvironmentVariable("EVIDENCEVAULT_REFUSAL_WINDOW_SECONDS"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var window) && window > 0
                ? NodaTime.Duration.FromSeconds(window) : defaults.RefusalWindow,
            Deployment = DeploymentOptions.FromEnvironment(),
        };
    }

    /// <summary>
    /// Set in a deployment: the ledger and work queue on PostgreSQL and the originals on S3 (object
    /// lock); the data directory then holds only this node's catalog replica and upload spool.
    /// </summary>
    public DeploymentOptions? Deployment { get; init; }

    /// <summary>The policy profile chosen at set-up (one of the five agencies'), or none until a person chooses one.</summary>
    public string? PolicyProfile { get; init; }

    /// <summary>A checkpoint is signed after every ingest batch and at least every this many entries. Default 1,000.</summary>
    public int CheckpointEvery { get; init; } = 1000;

    /// <summary>How long one witness may take to answer an offer before the next offer tries again. Default 5 s.</summary>
    public TimeSpan WitnessTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Refusals of one caller's one action on one subject within this window are one entry and one summary (<see cref="Access.Refusals"/>). Default 60 s.</summary>
    public NodaTime.Duration RefusalWindow { get; init; } = NodaTime.Duration.FromMinutes(1);
}

/// <param name="Postgres">Connection string of the application role (SELECT and INSERT on custody tables only).</param>
/// <param name="S3">The object-locked bucket for originals and published checkpoints.</param>
public sealed record DeploymentOptions(string Postgres, S3Options S3)
{
    /// <summary>
    /// <c>EVIDENCEVAULT_POSTGRES</c> with <c>EVIDENCEVAULT_S3_ENDPOINT</c>, <c>_ACCESS_KEY</c>, <c>_SECRET_KEY</c>,
    /// <c>_BUCKET</c> and optionally <c>_RETENTION_DAYS</c>; null when none is set, an error when only some are.
    /// </summary>
    public static DeploymentOptions? FromEnvironment()
    {
        string? Get(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
        string[] names = ["EVIDENCEVAULT_POSTGRES", "EVIDENCEVAULT_S3_ENDPOINT", "EVIDENCEVAULT_S3_ACCESS_KEY", "EVIDENCEVAULT_S3_SECRET_KEY", "EVIDENCEVAULT_S3_BUCKET"];
        var values = names.Select(Get).ToArray();
        if (values.All(v => v is null))
        {
            return null;
        }

        if (values.Any(v => v is null))
        {
            throw new VaultException($"A deployment needs all of {string.Join(", ", names)}; missing: {string.Join(", ", names.Where((_, i) => values[i] is null))}.");
        }

        var days = Get("EVIDENCEVAULT_S3_RETENTION_DAYS") is { } text && int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? parsed : 3650;
        return new DeploymentOptions(values[0]!, new S3Options(values[1]!, values[2]!, values[3]!, values[4]!, days));
    }
}

/// <summary>
/// The embedded default: catalog (SQLite) and object store (a folder) under one data directory,
/// <c>catalog.db</c> and <c>objects/</c>; the signing key outside it (<see cref="SigningKeyLocation"/>).
/// </summary>
public sealed class Vault : IDisposable
{
    public const string CatalogFile = "catalog.db";
    private const string KeyFile = "keys/ledger-signing.key"; // vaults set up before the key moved out of the folder

    private readonly SqliteConnection _connection;
    private readonly VaultOptions _options;
    private readonly Central? _central;
    private readonly Lock _syncGate = new();
    private readonly GroupCommit _appends;
    private NoteSigningKey? _signingKey;

    private Vault(string dataDirectory, SqliteConnection connection, IClock clock, VaultOptions options, Central? central = null)
    {
        DataDirectory = dataDirectory;
        _connection = connection;
        _options = options;
        _central = central;
        Clock = clock;
        var gate = new Lock();
        Ledger = new SqliteLedger(connection, gate, clock);
        Objects = central?.Objects ?? new FileSystemObjectStore(Path.Combine(dataDirectory, "objects"));
        Clips = new ClipCatalog(Ledger);
        Work = central?.Queue ?? new Work.WorkQueue(Ledger, clock);
        Policy = new Policy.PolicyState(Ledger);
        _appends = new GroupCommit(batch =>
        {
            if (_central is null)
            {
                try
                {
                    return Ledger.Append(batch, Sealer);
                }
                catch (SqliteException e) when (Posix.IsDiskFull(e))
                {
                    // Nothing of the batch was committed; its originals are stored and the next dock ledgers them (content addressing).
                    throw new VaultException($"disk full: {Path.Combine(DataDirectory, CatalogFile)} could not record the entry (no space left on its filesystem); free space and dock again: what was stored is ledgered then.", e);
                }
            }

            var entries = _central.Ledger.Append(batch, Sealer);
            Sync();
            return entries;
        });
    }

    /// <summary>A deployment's shared parts: the ledger of record, its queue and the object store.</summary>
    private sealed record Central(Npgsql.NpgsqlDataSource DataSource, PostgresLedger Ledger, IWorkQueue Queue, IObjectStore Objects);

    public string DataDirectory { get; }

    /// <summary>The schema version this vault's catalog was left at on open (migrated if it was older).</summary>
    public int SchemaVersion => Ledger.Query(statements =>
        Convert.ToInt32(statements("PRAGMA user_version", []).ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));

    public IClock Clock { get; }

    /// <summary>
    /// The ledger as this process reads it: the embedded ledger itself, or in a deployment this
    /// node's replica of the PostgreSQL ledger (with the derived catalog), brought up to date by
    /// <see cref="Sync"/>. Appends go through <see cref="RecordAsync"/>.
    /// </summary>
    public SqliteLedger Ledger { get; }

    /// <summary>Originals and published checkpoints: a folder (embedded) or an object-locked S3 bucket (deployment).</summary>
    public IObjectStore Objects { get; }

    /// <summary>True when the ledger of record is on PostgreSQL and the originals on S3.</summary>
    public bool IsDeployment => _central is not null;

    /// <summary>The active policy profile and the facts its deadlines count from.</summary>
    public Policy.PolicyState Policy { get; }

    /// <summary>The durable queue of worker jobs (probe, speech analysis): in the catalog, or on PostgreSQL in a deployment.</summary>
    public IWorkQueue Work { get; }

    /// <summary>Queries over the derived clip tables.</summary>
    public ClipCatalog Clips { get; }

    public string Station => _options.Station;

    /// <summary>The vault's identity from its first ledger entry.</summary>
    public VaultCreatedPayload Identity => PayloadJson.Deserialize<VaultCreatedPayload>(Ledger.Read(0).Payload);

    public NoteVerifierKey VerifierKey => NoteVerifierKey.Parse(Identity.VerifierKey);

    internal SqliteConnection Connection => _connection;

    public static bool Exists(string dataDirectory) => File.Exists(Path.Combine(dataDirectory, CatalogFile));

    public static Vault OpenOrCreate(string dataDirectory, IClock clock, VaultOptions? options = null)
    {
        if (options?.Deployment is { } deployment)
        {
            return OpenDeployment(dataDirectory, clock, options, deployment, createIfEmpty: true);
        }

        // Two agents started at once on a new station (one per docked camera) must not each set up a
        // vault with its own key: set-up is exclusive, and whoever waited opens what the winner made.
        var full = Path.GetFullPath(dataDirectory);
        if (!Exists(full))
        {
            RefuseUnlessEmpty(full); // before the lock: nothing is written into a folder that is not a vault's
        }

        Directory.CreateDirectory(full);
        using var setUp = SetUpLock.Take(full);
        if (Exists(full) && !IsUnfinishedSetUp(full))
        {
            return Open(full, clock, options);
        }

        return Create(full, clock, options);
    }

    /// <summary>The set-up lock's file, the only thing besides a vault's own files allowed in its folder.</summary>
    private const string SetUpLockFile = ".vault-setup.lock";

    /// <summary>An exclusive advisory lock (flock) on the data folder's set-up, held while a vault is opened or made.</summary>
    private sealed class SetUpLock(FileStream file) : IDisposable
    {
        public static SetUpLock Take(string full)
        {
            var path = Path.Combine(full, SetUpLockFile);
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    // FileShare.None is an exclusive flock on Linux: a second process gets an IOException until the first is done.
                    return new SetUpLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
                }
                catch (IOException) when (waited.Elapsed < TimeSpan.FromSeconds(60) && File.Exists(path))
                {
                    Thread.Sleep(50);
                }
            }
        }

        public void Dispose() => file.Dispose();
    }

    /// <summary>
    /// A vault is set up only in a missing or empty folder (or over a set-up cut short): a folder
    /// holding anything else is someone's data, or a mistyped --data, and is refused.
    /// </summary>
    private static void RefuseUnlessEmpty(string full)
    {
        if (!Directory.Exists(full))
        {
            return;
        }

        string[] leftovers = [SetUpLockFile, KeyFile, CatalogFile, CatalogFile + "-wal", CatalogFile + "-shm", CatalogFile + "-journal"];
        var other = Directory.EnumerateFiles(full, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false })
            .Select(f => Path.GetRelativePath(full, f).Replace(Path.DirectorySeparatorChar, '/'))
            .FirstOrDefault(f => !leftovers.Contains(f, StringComparer.Ordinal));
        // A vault's catalog is made before any other file of it: one there now was set up meanwhile by another agent.
        if (other is not null && !Exists(full))
        {
            throw new VaultException($"{full} is not empty (it holds {other}) and holds no vault: a new vault is set up only in a missing or empty folder. Check --data.");
        }
    }

    /// <summary>True for the vault this process has just set up (a new identity and key): hosts announce it.</summary>
    public bool CreatedNow { get; private init; }

    /// <summary>
    /// A set-up cut short (power loss between making the key and committing the first entry) leaves
    /// a catalog with an empty ledger. Nothing can be in custody before the first entry, so such a
    /// vault is set up again from scratch; any other vault is never touched.
    /// </summary>
    private static bool IsUnfinishedSetUp(string dataDirectory)
    {
        var catalog = Path.Combine(dataDirectory, CatalogFile);
        using (var connection = Connect(catalog))
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT COUNT(*) FROM ledger_entry";
            if ((long)command.ExecuteScalar()! != 0)
            {
                return false;
            }
        }

        foreach (var file in new[] { catalog, catalog + "-wal", catalog + "-shm" })
        {
            File.Delete(file);
        }

        return true;
    }

    public static Vault Open(string dataDirectory, IClock clock, VaultOptions? options = null)
    {
        if (options?.Deployment is { } deployment)
        {
            return OpenDeployment(dataDirectory, clock, options, deployment, createIfEmpty: false);
        }

        var full = Path.GetFullPath(dataDirectory);
        if (!Exists(full))
        {
            throw new VaultException($"No vault at {full}: {CatalogFile} is missing.");
        }

        var vault = new Vault(full, Connect(Path.Combine(full, CatalogFile), out var rebuild), clock, options ?? new VaultOptions());
        if (vault.Ledger.Size == 0)
        {
            vault.Dispose();
            throw new VaultException($"The vault at {full} has an empty ledger: it was never set up, or its first entry was removed.");
        }

        if (rebuild)
        {
            vault.RebuildCatalog();
        }

        return vault;
    }

    public static Vault Create(string dataDirectory, IClock clock, VaultOptions? options = null)
    {
        options ??= new VaultOptions();
        if (options.Deployment is { } deployment)
        {
            return OpenDeployment(dataDirectory, clock, options, deployment, createIfEmpty: true);
        }

        var full = Path.GetFullPath(dataDirectory);
        if (Exists(full))
        {
            throw new VaultException($"A vault already exists at {full}.");
        }

        if (options.PolicyProfile is { } chosen)
        {
            _ = Custody.Policy.PolicyProfile.Load(chosen); // an unknown profile is refused before anything is written
        }

        RefuseUnlessEmpty(full);
        Directory.CreateDirectory(full);
        var seed = options.SigningKeySeed is { } configured ? DecodeSeed(configured) : WriteNewKey(full, KeyFileOf(full, options));
        var origin = options.Origin ?? $"evidencevault.local/{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6))}";
        var key = new NoteSigningKey(origin, seed);

        Hosting.FaultPoints.Reach("vault-key-written");
        var vault = new Vault(full, Connect(Path.Combine(full, CatalogFile)), clock, options) { _signingKey = key, CreatedNow = true };
        Hosting.FaultPoints.Reach("catalog-created");
        var payload = new VaultCreatedPayload(origin, key.Verifier.ToString(), options.Station, EntrySeal.Scheme);
        List<NewEntry> setUp = [new NewEntry(EntryTypes.VaultCreated, "station:" + options.Station, [Subjects.Vault], "vault set up", PayloadJson.Serialize(payload))];
        if (options.PolicyProfile is { } profile)
        {
            setUp.Add(new NewEntry(EntryTypes.PolicySelected, "station:" + options.Station, [Subjects.Vault], "policy profile chosen at set-up", PayloadJson.Serialize(new PolicySelectedPayload(profile, null))));
        }

        vault.Ledger.Append(setUp, vault.Sealer);
        vault.CheckpointAsync().GetAwaiter().GetResult();
        return vault;
    }

    /// <summary>
    /// A node of a deployment: the ledger of record and the work queue on PostgreSQL, originals on S3,
    /// and under <paramref name="dataDirectory"/> only this node's catalog replica (rebuilt from the
    /// central ledger when missing) and upload spool. Every node signs with the agency's configured key.
    /// </summary>
    private static Vault OpenDeployment(string dataDirectory, IClock clock, VaultOptions options, DeploymentOptions deployment, bool createIfEmpty)
    {
        if (options.SigningKeySeed is null)
        {
            throw new VaultException("A deployment signs with the agency's key from configuration (EVIDENCEVAULT_SIGNING_KEY): every node must use the same key.");
        }

        var full = Path.GetFullPath(dataDirectory);
        Directory.CreateDirectory(full);
        var source = Npgsql.NpgsqlDataSource.Create(deployment.Postgres);
        Vault? vault = null;
        // The object store's checks (bucket, lock, payload check) and the ledger's first query wait on
        // different servers: made at once, a dock starts about 0.2 s sooner (docs/benchmarks.md).
        var connecting = Task.Run(() => S3ObjectStore.ConnectAsync(deployment.S3, Path.Combine(full, "spool"), clock));
        try
        {
            var ledger = new PostgresLedger(source, clock);
            long size;
            try
            {
                Catalog.PostgresSchema.RequireCurrent(source);
                size = ledger.Size;
            }
            catch (Npgsql.NpgsqlException e)
            {
                throw new VaultException($"The deployment's PostgreSQL cannot be used: {e.Message}", e);
            }

            if (size == 0 && !createIfEmpty)
            {
                throw new VaultException("The deployment's ledger is empty: set the vault up first.");
            }

            var catalog = Connect(Path.Combine(full, CatalogFile));
            S3ObjectStore objects;
            try
            {
                objects = connecting.GetAwaiter().GetResult();
            }
            catch
            {
                catalog.Dispose();
                throw;
            }

            var central = new Central(source, ledger, new Work.PostgresWorkQueue(source, clock), objects);
            vault = new Vault(full, catalog, clock, options, central);
            var policy = vault.Policy;
            // R6: every original is locked at least as long as the active profile's minimum.
            objects.PolicyMinimum = () => policy.ActiveProfileId() is { } id && Custody.Policy.PolicyProfile.Load(id).Retention.MinimumMonths is { } months
                ? Duration.FromDays(months * 31)
                : Duration.Zero;
            if (size == 0)
            {
                var key = new NoteSigningKey(options.Origin ?? throw new VaultException("A deployment's ledger needs its origin name (EVIDENCEVAULT_ORIGIN)."), DecodeSeed(options.SigningKeySeed));
                vault._signingKey = key;
                var payload = new VaultCreatedPayload(key.Name, key.Verifier.ToString(), options.Station, EntrySeal.Scheme);
                List<NewEntry> setUp = [new NewEntry(EntryTypes.VaultCreated, "station:" + options.Station, [Subjects.Vault], "vault set up", PayloadJson.Serialize(payload))];
                if (options.PolicyProfile is { } profile)
                {
                    _ = Custody.Policy.PolicyProfile.Load(profile);
                    setUp.Add(new NewEntry(EntryTypes.PolicySelected, "station:" + options.Station, [Subjects.Vault], "policy profile chosen at set-up", PayloadJson.Serialize(new PolicySelectedPayload(profile, null))));
                }

                if (central.Ledger.AppendIfEmpty(setUp, vault.Sealer).Count == 0)
                {
                    size = 1; // another node set the ledger up in the meantime: join it
                }
            }

            vault.Sync();
            if (size == 0)
            {
                vault.CheckpointAsync().GetAwaiter().GetResult();
            }

            return vault;
        }
        catch
        {
            if (vault is not null)
            {
                vault.Dispose();
            }
            else
            {
                source.Dispose();
                // The first failure is the one reported; the store's own (if any) is not waited for.
                _ = connecting.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }

            throw;
        }
    }

    /// <summary>
    /// Brings this node's replica up to the ledger of record (a no-op on the embedded vault): new
    /// entries are checked to chain onto what the replica holds, and new checkpoints to match the
    /// roots the replica computes, so a node notices a central ledger rewritten behind its back.
    /// </summary>
    public void Sync()
    {
        if (_central is null)
        {
            return;
        }

        lock (_syncGate)
        {
            SyncLocked();
        }
    }

    /// <summary>
    /// For servers under load: syncs unless the replica was synced within <paramref name="maxAge"/> or
    /// another request is syncing it right now (that one brings it up to date), so concurrent
    /// requests never queue behind each other's round trips to PostgreSQL.
    /// </summary>
    public void SyncIfStale(Duration maxAge)
    {
        if (_central is null || Clock.GetCurrentInstant() - _lastSync < maxAge || !_syncGate.TryEnter())
        {
            return;
        }

        try
        {
            SyncLocked();
        }
        finally
        {
            _syncGate.Exit();
        }
    }

    private Instant _lastSync;

    private void SyncLocked()
    {
        if (_central is not { } central)
        {
            return;
        }

        string? problem = null;
        try
        {
            var local = Ledger.Size;
            if (central.Ledger.Size > local)
            {
                var entries = central.Ledger.EntriesFrom(local, out problem);
                Ledger.Replicate(entries, central.Ledger.SealsFrom(local));
            }

            var covered = Ledger.LatestCheckpointNote()?.Size ?? 0;
            foreach (var checkpoint in central.Ledger.CheckpointsAfter(covered).Where(c => c.Size <= Ledger.Size))
            {
                Ledger.ReplicateCheckpoint(checkpoint.Size, checkpoint.Root, checkpoint.Note, checkpoint.SignedNanoseconds);
            }
        }
        catch (VaultException e)
        {
            problem = e.Message;
        }

        // A central row this node cannot take stops the replica there, not the node: it serves what it
        // holds, and says what is wrong (/health, custody verify, the log) until an operator has looked (docs/deploy.md §9).
        if (problem is not null && problem != _syncProblem)
        {
            Serilog.Log.Fatal("The replica stops at entry {Size}: {Problem}", Ledger.Size, problem);
        }

        _syncProblem = problem;
        _lastSync = Clock.GetCurrentInstant();
    }

    private volatile string? _syncProblem;
    private volatile string? _signingRefusal;

    /// <summary>
    /// What keeps this node from vouching for the ledger, or null: a central row its replica cannot
    /// take, or the signer's refusal to cover an entry it cannot authenticate (issue 18 §5, §11).
    /// </summary>
    public string? LedgerProblem => _syncProblem is { } sync ? sync : _signingRefusal;

    /// <summary>
    /// Why this node could not append right now (its ledger, or the central one it writes to, is
    /// read-only, locked or unreachable), or null (<see cref="ILedgerStore.WriteProblem"/>).
    /// </summary>
    public string? LedgerWriteProblem() => _central is null ? Ledger.WriteProblem() : _central.Ledger.WriteProblem();

    /// <summary>
    /// Why this node could not sign a checkpoint right now, or null: the key is missing or not the
    /// vault's, a signature it makes does not verify under the vault's key, or the signer refused the
    /// newest entries.
    /// </summary>
    public string? SigningProblem()
    {
        try
        {
            var key = SigningKey();
            var probe = System.Text.Encoding.UTF8.GetBytes($"{key.Name}\nsigning probe {Guid.NewGuid():N}\n");
            if (!VerifierKey.Verify(probe, key.Sign(probe)))
            {
                return "a signature made with the signing key does not verify under the vault's public key";
            }
        }
        catch (VaultException e)
        {
            return e.Message;
        }

        return _signingRefusal;
    }

    /// <summary>Appends facts, then signs a checkpoint once <see cref="VaultOptions.CheckpointEvery"/> entries are uncovered.</summary>
    public async Task<IReadOnlyList<LedgerEntry>> RecordAsync(IReadOnlyList<NewEntry> facts, CancellationToken cancellationToken = default)
    {
        // Nothing is written that this node could not sign over: a missing or wrong key fails the command before its entries exist.
        _ = SigningKey();
        var entries = await _appends.AppendAsync(facts).ConfigureAwait(false);
        Hosting.FaultPoints.Reach("entry-appended");
        var covered = Ledger.LatestCheckpointNote()?.Size ?? 0;
        if (entries.Count > 0 && entries[^1].Index + 1 - covered >= _options.CheckpointEvery)
        {
            await CheckpointAsync(cancellationToken).ConfigureAwait(false);
        }

        return entries;
    }

    /// <summary>
    /// Records one act of a person (<c>user:</c><paramref name="by"/>) and signs a checkpoint at once,
    /// so a clerk's or supervisor's act is provable as soon as it is made. Returns the entry's index.
    /// </summary>
    public async Task<long> RecordActAsync<T>(string type, string by, IReadOnlyList<string> subjects, string reason, T payload, CancellationToken cancellationToken = default)
    {
        var entries = await RecordAsync([new NewEntry(type, "user:" + by, subjects, reason, PayloadJson.Serialize(payload))], cancellationToken).ConfigureAwait(false);
        await CheckpointAsync(cancellationToken).ConfigureAwait(false);
        return entries[0].Index;
    }

    /// <summary>
    /// Signs a checkpoint of the whole ledger (after each ingest batch) and publishes it to the
    /// object store. The row is committed before the file is written; a crash in between is mended
    /// by publishing the newest row again on the next call.
    /// </summary>
    public async Task<Checkpoint?> CheckpointAsync(CancellationToken cancellationToken = default)
    {
        Sync();
        if (Ledger.LatestCheckpointNote() is { } previous)
        {
            await Objects.PublishCheckpointAsync(previous.Size, previous.Note, cancellationToken).ConfigureAwait(false);
        }

        Checkpoint? checkpoint;
        try
        {
            checkpoint = _central is null ? Ledger.SignCheckpoint(SigningKey()) : _central.Ledger.SignCheckpoint(SigningKey());
            _signingRefusal = null;
        }
        catch (VaultException e) when (e.Message.StartsWith(SignerCheck.RefusalPrefix, StringComparison.Ordinal))
        {
            _signingRefusal = e.Message;
            throw;
        }

        Sync();
        if (checkpoint is not null)
        {
            Hosting.FaultPoints.Reach("checkpoint-signed");
            await Objects.PublishCheckpointAsync(checkpoint.Size, checkpoint.Note, cancellationToken).ConfigureAwait(false);
            Witnesses.Nudge();
        }

        return checkpoint;
    }

    /// <summary>
    /// A second, independent connection to the same catalog for long reads that run beside this
    /// one (WAL lets readers proceed concurrently), e.g. verification on both cores.
    /// </summary>
    public SqliteLedger OpenSecondReader() =>
        new(Connect(Path.Combine(DataDirectory, CatalogFile)), new Lock(), Clock, ownsConnection: true);

    /// <summary>Recreates the derived clip tables from the ledger alone; returns the number of entries replayed.</summary>
    /// <summary>Replays the ledger into the derived tables; entries that cannot be replayed are named in <paramref name="problems"/>.</summary>
    public long RebuildCatalog(List<string> problems) => Ledger.RebuildCatalog(problems);

    public long RebuildCatalog() => RebuildCatalog([]);

    /// <summary>The witnesses outside the agency that cosign its checkpoints (docs/trust.md).</summary>
    public Witnesses.VaultWitnesses Witnesses => _witnesses ??= new Witnesses.VaultWitnesses(this, _options.WitnessTimeout);

    private Witnesses.VaultWitnesses? _witnesses;

    /// <summary>Refused accesses, ledgered without letting a client flood the ledger (issue 21).</summary>
    public Access.Refusals Refusals => _refusals ??= new Access.Refusals(this, _options.RefusalWindow);

    private Access.Refusals? _refusals;

    public void Dispose()
    {
        try
        {
            // The summaries of refusals still counting in their window are facts too.
            _refusals?.FlushAsync(all: true).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is VaultException or IOException or Microsoft.Data.Sqlite.SqliteException)
        {
            Serilog.Log.Error(e, "Could not ledger the summaries of refused accesses before closing the vault");
        }

        _witnesses?.Settle();
        Ledger.Dispose();
        _connection.Dispose();
        _central?.DataSource.Dispose();
    }

    /// <summary>
    /// What this node seals its appends with (issue 18 §5): the vault's signing key, which the
    /// database does not hold, and the node's station name. Throws when the key is missing or wrong.
    /// </summary>
    public EntrySealer Sealer => _sealer ??= new EntrySealer(SigningKey(), EntrySeal.NodeName(_options.Station));

    private EntrySealer? _sealer;

    /// <summary>
    /// The key this node trusts checkpoints and seals under: its own signing key's (which the
    /// database does not hold), or, where the node has no key (a read-only copy), the key the
    /// vault's first entry names.
    /// </summary>
    public NoteVerifierKey TrustedKey
    {
        get
        {
            try
            {
                return SigningKey().Verifier;
            }
            catch (VaultException)
            {
                return VerifierKey;
            }
        }
    }

    /// <summary>
    /// The store versions of an original that the server verified at ingest, as its custody entries
    /// recorded them (issue 18 §10); empty on the folder store and for entries written before versions
    /// were recorded. The catalog only says where to look: each entry is used once it is proven
    /// (<see cref="Proven"/>), is a <c>ClipIngested</c> and names these bytes. Only a pointer all the
    /// same: the bytes read through it are hashed against the key.
    /// </summary>
    public IReadOnlyList<string> StoreVersionsOf(Sha256Digest sha256) =>
        [.. Clips.CustodyEntries(sha256)
            .Select(index => Proven.Entry(index, out _))
            .Where(entry => entry is { Type: EntryTypes.ClipIngested })
            .Select(entry => PayloadJson.Deserialize<ClipIngestedPayload>(entry!.Payload))
            .Where(payload => payload.Sha256 == sha256.ToHex())
            .Select(payload => payload.StoreVersion)
            .OfType<string>().Distinct(StringComparer.Ordinal)];

    /// <summary>
    /// An original's bytes from exactly a version verified at ingest, never "the latest" (issue 18 §10);
    /// hash-checked by the store. Without a recorded version, what the store holds under the key.
    /// </summary>
    public async Task<Stream> OpenOriginalAsync(Sha256Digest sha256, CancellationToken cancellationToken = default)
    {
        var versions = StoreVersionsOf(sha256);
        if (versions.Count == 0)
        {
            return await Objects.OpenReadAsync(sha256, null, cancellationToken).ConfigureAwait(false);
        }

        Exception? first = null;
        foreach (var version in versions)
        {
            try
            {
                return await Objects.OpenReadAsync(sha256, version, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is FileNotFoundException or InvalidDataException)
            {
                first ??= e;
            }
        }

        throw first!;
    }

    /// <summary>Entries proven to be in the signed tree, for decisions that must not rest on a derived row (issue 18).</summary>
    public Verification.ProvenEntries Proven => _proven ??= new Verification.ProvenEntries(this);

    private Verification.ProvenEntries? _proven;

    private NoteSigningKey SigningKey()
    {
        if (_signingKey is not null)
        {
            return _signingKey;
        }

        var identity = Identity;
        byte[] seed;
        if (_options.SigningKeySeed is { } configured)
        {
            seed = DecodeSeed(configured);
        }
        else
        {
            var path = SigningKeyLocation;
            if (!File.Exists(path))
            {
                throw new VaultException($"The signing key {KeyFileOf(DataDirectory, _options)} is missing and none is configured (EVIDENCEVAULT_SIGNING_KEY_FILE, EVIDENCEVAULT_SIGNING_KEY): checkpoints cannot be signed.");
            }

            seed = DecodeSeed(ReadKeyFile(path));
        }

        var key = new NoteSigningKey(identity.Origin, seed);
        if (key.Verifier.ToString() != identity.VerifierKey)
        {
            var source = _options.SigningKeySeed is null ? SigningKeyLocation : "EVIDENCEVAULT_SIGNING_KEY";
            throw new VaultException($"The signing key in {source} does not belong to this vault (expected {identity.VerifierKey}): nothing was written.");
        }

        return _signingKey = key;
    }

    /// <summary>
    /// Where this node's signing key is read from: <c>EVIDENCEVAULT_SIGNING_KEY</c> when configured,
    /// else the key file (<see cref="VaultOptions.SigningKeyFile"/>, default <c>DIR.signing-key</c>), else,
    /// for a vault set up before keys moved out of the folder, <c>DIR/keys/ledger-signing.key</c>.
    /// </summary>
    public string SigningKeyLocation
    {
        get
        {
            if (_options.SigningKeySeed is not null)
            {
                return "EVIDENCEVAULT_SIGNING_KEY";
            }

            var file = KeyFileOf(DataDirectory, _options);
            var legacy = Path.Combine(DataDirectory, KeyFile);
            return !File.Exists(file) && File.Exists(legacy) ? legacy : file;
        }
    }

    /// <summary>The key file of a vault in <paramref name="dataDirectory"/>: configured, or beside the folder.</summary>
    internal static string KeyFileOf(string dataDirectory, VaultOptions options) =>
        Path.GetFullPath(options.SigningKeyFile ?? Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataDirectory)) + ".signing-key");

    /// <summary>Reads a key file, refusing one that anyone but its owner may read or write.</summary>
    private static string ReadKeyFile(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
            if ((mode & Others) != 0)
            {
                throw new VaultException($"The signing key {path} may be read or changed by others (mode {Convert.ToString((int)mode, 8)}): chmod 600 it. Nothing was written.");
            }
        }

        return File.ReadAllText(path);
    }

    private static byte[] WriteNewKey(string dataDirectory, string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataDirectory)) + Path.DirectorySeparatorChar;
        if (path.StartsWith(full, StringComparison.Ordinal))
        {
            throw new VaultException($"The signing key file {path} is inside the data folder {full}: a copy of the folder could then sign as the agency. Choose a path outside it (EVIDENCEVAULT_SIGNING_KEY_FILE).");
        }

        if (File.Exists(path))
        {
            // Provisioned by the agency, or left by a set-up cut short that committed nothing: never overwritten.
            return DecodeSeed(ReadKeyFile(path));
        }

        var seed = NoteSigningKey.NewSeed();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        {
            stream.Write(System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(seed) + "\n"));
            stream.Flush(flushToDisk: true);
        }

        return seed;
    }

    private static byte[] DecodeSeed(string text)
    {
        try
        {
            var seed = Convert.FromBase64String(text.Trim());
            return seed.Length == 32 ? seed : throw new VaultException("The signing key seed must be 32 bytes (base64).");
        }
        catch (FormatException e)
        {
            throw new VaultException("The signing key seed is not base64.", e);
        }
    }

    private static SqliteConnection Connect(string path) => Connect(path, out _);

    private static SqliteConnection Connect(string path, out bool rebuildDerived)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        try
        {
            connection.Open();
            using (var pragma = connection.CreateCommand())
            {
                // WAL + FULL: a committed custody entry survives power loss (fsync at each commit).
                pragma.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 30000;";
                pragma.ExecuteNonQuery();
            }

            rebuildDerived = CatalogSchema.Migrate(connection, path);
            return connection;
        }
        catch (SqliteException e) when (Posix.IsDiskFull(e))
        {
            connection.Dispose();
            throw new VaultException($"disk full: {path} cannot be opened for writing (no space left on its filesystem); free space and dock again.", e);
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new VaultException($"{path} is not a readable vault catalog: {e.Message}", e);
        }
    }
}
