using System.Security.Cryptography;
using EvidenceVault.Custody.Catalog;
using EvidenceVault.Custody.Checkpoints;
using EvidenceVault.Custody.Merkle;
using EvidenceVault.Custody.Work;
using Microsoft.Data.Sqlite;
using NodaTime;

namespace EvidenceVault.Custody.Ledger;

/// <summary>A stored ledger row before any check: the indexed columns and the canonical entry bytes.</summary>
/// <param name="Malformed">Why the stored row is not an entry at all (a column of the wrong type), or null.</param>
public sealed record RawEntry(long Index, long TimeNanoseconds, string Type, string Actor, byte[] Entry, string? Malformed = null);

/// <summary>An order-sensitive 64-bit fingerprint of the ascending entry indexes listed for one subject.</summary>
public static class SubjectIndex
{
    public static ulong Fold(ulong fingerprint, long index)
    {
        // SplitMix64 finaliser over the running value: cheap, and any changed, missing or extra index changes it.
        var z = (fingerprint ^ (ulong)index) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>A fact to append; the ledger assigns index, time, subject links and salt.</summary>
public sealed record NewEntry(string Type, string Actor, IReadOnlyList<string> Subjects, string Reason, byte[] Payload)
{
    /// <summary>
    /// This fact is written at most once: when the ledger already holds the same fact (for a clip's
    /// custody: the same bytes from the same device under the same name) the append fails with
    /// <see cref="FactAlreadyRecordedException"/> naming the earlier entry. Checked inside the write
    /// transaction, so processes racing for one fact cannot both write it.
    /// </summary>
    public bool WrittenOnce { get; init; }
}

/// <summary>A <see cref="NewEntry.WrittenOnce"/> fact that the ledger already holds, at <see cref="Index"/>.</summary>
public sealed class FactAlreadyRecordedException(long index) : Exception($"The fact is already in the ledger at entry {index}.")
{
    public long Index { get; } = index;
}

/// <summary>
/// The append-only custody ledger in the embedded SQLite catalog. An append writes the entry,
/// its subject index, the Merkle nodes it completes and the derived catalog rows in one
/// transaction, so the tree and the catalog never lag the ledger. Each append re-reads the tree's
/// right edge (O(log n) nodes) inside its write transaction, so two processes appending to one
/// vault cannot fork it. Thread-safe.
/// </summary>
public sealed class SqliteLedger : ILedgerStore
{
    public const int SaltLength = 16;

    private readonly SqliteConnection _connection;
    private readonly Lock _gate;
    private readonly IClock _clock;
    private readonly Dictionary<string, SqliteCommand> _statements = new(StringComparer.Ordinal);

    private readonly bool _ownsConnection;

    internal SqliteLedger(SqliteConnection connection, Lock gate, IClock clock, bool ownsConnection = false)
    {
        _ownsConnection = ownsConnection;
        _connection = connection;
        _gate = gate;
        _clock = clock;
    }

    public string? WriteProblem()
    {
        lock (_gate)
        {
            using var probe = _connection.CreateCommand();
            try
            {
                // The writer's own connection, so a probe never blocks a commit for long: a second, not the
                // 30 s a commit waits, then back to what appends use.
                // One statement per command: a busy statement inside a batch was passed over, not thrown.
                probe.CommandTimeout = 1; // Microsoft.Data.Sqlite retries a busy statement until this runs out
                probe.CommandText = "PRAGMA busy_timeout = 1000";
                probe.ExecuteNonQuery();
                probe.CommandText = "BEGIN IMMEDIATE";
                probe.ExecuteNonQuery();
                probe.CommandText = "ROLLBACK";
                probe.ExecuteNonQuery();
                return null;
            }
            catch (SqliteException e)
            {
                return e.SqliteErrorCode switch
                {
                    5 or 6 => $"the catalog's write lock is held by another process or connection (SQLite: {e.Message}); appends wait for it and fail after 30 s",
                    8 => $"the catalog is read-only (SQLite: {e.Message})",
                    _ => $"the catalog cannot be written: {e.Message}",
                };
            }
            finally
            {
                if (_connection.State == System.Data.ConnectionState.Open)
                {
                    using var restore = _connection.CreateCommand();
                    restore.CommandText = "PRAGMA busy_timeout = 30000;";
                    restore.ExecuteNonQuery();
                }
            }
        }
    }

    public long Size
    {
        get
        {
            lock (_gate)
            {
                return SizeIn(null);
            }
        }
    }

    public IReadOnlyList<LedgerEntry> Append(IReadOnlyList<NewEntry> batch, EntrySealer sealer)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            var size = SizeIn(transaction);
            var range = CompactRange.FromNodes(new TransactionNodes(this, transaction, size), size);
            var heads = new Dictionary<string, (long Index, Sha256Digest Leaf)>(StringComparer.Ordinal);
            var appended = new List<LedgerEntry>(batch.Count);
            var leaves = new List<Sha256Digest>(batch.Count);
            // Entry times never go backwards, even when the system clock is stepped back: an entry is
            // dated no earlier than the one before it (a checkpoint refuses to sign over one that is).
            var floor = Statement(transaction, "SELECT time_ns FROM ledger_entry ORDER BY idx DESC LIMIT 1").ExecuteScalar() is long last
                ? NodaConstants.UnixEpoch + Duration.FromNanoseconds(last)
                : Instant.MinValue;
            foreach (var fact in batch)
            {
                if (fact.WrittenOnce && CatalogProjection.SameFact((sql, names) => Statement(transaction, sql, names), fact) is { } earlier)
                {
                    throw new FactAlreadyRecordedException(earlier); // the batch rolls back; its other facts are appended alone
                }

                var index = size + appended.Count;
                var links = new List<SubjectLink>(fact.Subjects.Count);
                foreach (var subject in fact.Subjects.Distinct(StringComparer.Ordinal))
                {
                    var head = heads.TryGetValue(subject, out var known) ? known : HeadIn(transaction, subject);
                    links.Add(head is { Index: >= 0 } h ? new SubjectLink(subject, h.Index, h.Leaf) : new SubjectLink(subject, null, null));
                }

                var now = _clock.GetCurrentInstant();
                floor = now > floor ? now : floor;
                var entry = new LedgerEntry(index, floor, fact.Type, fact.Actor, links, fact.Reason, fact.Payload, RandomNumberGenerator.GetBytes(SaltLength));
                leaves.Add(Store(transaction, entry, range, heads));
                // Outbox: the work an entry causes is queued in the same transaction, so it can be
                // neither lost (entry without job) nor orphaned (job without entry).
                WorkQueue.EnqueueFor((sql, names) => Statement(transaction, sql, names), entry);
                appended.Add(entry);
            }

            if (appended.Count > 0)
            {
                StoreSeal(transaction, EntrySeal.Create(sealer.Key, sealer.Node, size, leaves));
            }

            transaction.Commit();
            return appended;
        }
    }

    /// <summary>
    /// A deployment node's replica: stores entries appended to the ledger of record, with their tree
    /// nodes and derived catalog rows (not their jobs: the queue is central). Each entry must come
    /// next and chain onto the replica's own newest entry about each of its subjects.
    /// </summary>
    internal void Replicate(IReadOnlyList<LedgerEntry> entries, IReadOnlyList<EntrySeal> seals)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            var size = SizeIn(transaction);
            var range = CompactRange.FromNodes(new TransactionNodes(this, transaction, size), size);
            var heads = new Dictionary<string, (long Index, Sha256Digest Leaf)>(StringComparer.Ordinal);
            foreach (var entry in entries.Where(e => e.Index >= size))
            {
                if (entry.Index != size)
                {
                    throw new VaultException($"The central ledger skipped from entry {size - 1} to {entry.Index}.");
                }

                foreach (var link in entry.Subjects)
                {
                    var head = heads.TryGetValue(link.Subject, out var known) ? known : HeadIn(transaction, link.Subject);
                    if (head?.Index != link.PreviousIndex || head?.Leaf != link.PreviousLeafHash)
                    {
                        throw new VaultException($"Central entry {entry.Index} does not chain onto entry {head?.Index.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)"} about {link.Subject} that this node holds: the central ledger was changed; run custody verify.");
                    }
                }

                Store(transaction, entry, range, heads);
                size++;
            }

            // The seals are copied as they are; the signer and custody verify check them.
            foreach (var seal in seals.Where(s => s.Last < size))
            {
                StoreSeal(transaction, seal, ifNew: true);
            }

            transaction.Commit();
        }
    }

    /// <summary>
    /// Stores one entry as its canonical bytes, its subjects (the per-subject chains' next heads), the
    /// tree nodes it completes and its derived catalog rows: what an append and a replica share.
    /// </summary>
    private Sha256Digest Store(SqliteTransaction transaction, LedgerEntry entry, CompactRange range, Dictionary<string, (long Index, Sha256Digest Leaf)> heads)
    {
        var bytes = LedgerEntryCodec.Encode(entry);
        var leaf = MerkleHash.Leaf(bytes);
        Run(Statement(transaction, "INSERT INTO ledger_entry(idx, time_ns, type, actor, entry) VALUES ($idx, $ns, $type, $actor, $entry)", "$idx", "$ns", "$type", "$actor", "$entry"),
            entry.Index, (entry.Time - NodaConstants.UnixEpoch).ToInt64Nanoseconds(), entry.Type, entry.Actor, bytes);
        var insertSubject = Statement(transaction, "INSERT INTO ledger_subject(subject, idx) VALUES ($subject, $idx)", "$subject", "$idx");
        foreach (var link in entry.Subjects)
        {
            Run(insertSubject, link.Subject, entry.Index);
            heads[link.Subject] = (entry.Index, leaf);
        }

        var insertNode = Statement(transaction, "INSERT INTO merkle_node(level, idx, hash) VALUES ($level, $idx, $hash)", "$level", "$idx", "$hash");
        range.Append(leaf, (level, nodeIndex, hash) => Run(insertNode, level, nodeIndex, hash.ToArray()));
        CatalogProjection.Apply((sql, names) => Statement(transaction, sql, names), entry);
        return leaf;
    }

    private void StoreSeal(SqliteTransaction transaction, EntrySeal seal, bool ifNew = false) =>
        Run(Statement(transaction, (ifNew ? "INSERT OR IGNORE" : "INSERT") + " INTO entry_seal(last_idx, first_idx, node, signature) VALUES ($last, $first, $node, $sig)", "$last", "$first", "$node", "$sig"),
            seal.Last, seal.First, seal.Node, seal.Signature);

    /// <summary>Every seal row as stored (unverified), in index order.</summary>
    public IReadOnlyList<EntrySeal> Seals(long from = 0)
    {
        lock (_gate)
        {
            return SealsIn(null, from);
        }
    }

    private List<EntrySeal> SealsIn(SqliteTransaction? transaction, long from)
    {
        var seals = new List<EntrySeal>();
        var command = Statement(transaction, "SELECT first_idx, last_idx, node, signature FROM entry_seal WHERE last_idx >= $from ORDER BY last_idx", "$from");
        command.Parameters[0].Value = from;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            // A row of the wrong storage class is a seal that does not verify, not a crash.
            seals.Add(new EntrySeal(
                reader.GetFieldType(0) == typeof(long) ? reader.GetInt64(0) : -1,
                reader.GetFieldType(1) == typeof(long) ? reader.GetInt64(1) : -1,
                reader.IsDBNull(2) ? string.Empty : Convert.ToString(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture)!,
                reader.GetValue(3) as byte[] ?? []));
        }

        return seals;
    }

    /// <summary>A checkpoint signed centrally, stored once its root matches the one this replica computes.</summary>
    internal void ReplicateCheckpoint(long size, Sha256Digest root, string note, long signedNanoseconds)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            if (MerkleProofs.Root(new TransactionNodes(this, transaction, SizeIn(transaction)), size) != root)
            {
                throw new VaultException($"The central checkpoint of size {size} does not match the tree this node holds: the central ledger was changed; run custody verify.");
            }

            var insert = Statement(transaction, "INSERT OR IGNORE INTO checkpoint(size, root, note, signed_ns) VALUES ($size, $root, $note, $ns)", "$size", "$root", "$note", "$ns");
            Run(insert, size, root.ToArray(), note, signedNanoseconds);
            transaction.Commit();
        }
    }

    /// <summary>
    /// Signs a checkpoint of the current size unless the newest checkpoint already covers it.
    /// Returns the new checkpoint (to publish), or null.
    /// </summary>
    public Checkpoint? SignCheckpoint(NoteSigningKey key)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            var size = SizeIn(transaction);
            var latest = LatestCheckpointIn(transaction);
            if (size == 0 || latest?.Size == size)
            {
                return null;
            }

            if (UnsignableEntry(transaction, latest?.Size ?? 0, size, key.Verifier) is { } refusal)
            {
                throw SignerCheck.Refuse(refusal);
            }

            var checkpoint = Checkpoint.Create(key, size, MerkleProofs.Root(new TransactionNodes(this, transaction, size), size));
            var insert = Statement(transaction, "INSERT INTO checkpoint(size, root, note, signed_ns) VALUES ($size, $root, $note, $ns)", "$size", "$root", "$note", "$ns");
            Run(insert, size, checkpoint.Root.ToArray(), checkpoint.Note, (_clock.GetCurrentInstant() - NodaConstants.UnixEpoch).ToInt64Nanoseconds());
            transaction.Commit();
            return checkpoint;
        }
    }

    /// <summary>
    /// Why the entries a new checkpoint would cover first ([<paramref name="from"/>, <paramref name="size"/>))
    /// must not be signed over, or null: each must be stored as bytes that decode to an entry of its
    /// index, with its leaf hash as the tree's node, at a time no earlier than the entry before it.
    /// A row written around the ledger (a plain INSERT, an edited column) fails one of these, and an
    /// entry well formed in every respect fails the last: it must be sealed by the vault's key (issue 18 §5).
    /// </summary>
    private string? UnsignableEntry(SqliteTransaction transaction, long from, long size, NoteVerifierKey key)
    {
        var command = Statement(transaction, "SELECT idx, time_ns, type, actor, entry FROM ledger_entry WHERE idx >= $from ORDER BY idx", "$from");
        command.Parameters[0].Value = Math.Max(0, from - 1);
        using var reader = command.ExecuteReader();
        return SignerCheck.Refusal(Rows(reader), from, size, index => NodeIn(transaction, 0, index), () => SealsIn(transaction, from), key);

        static IEnumerable<RawEntry> Rows(SqliteDataReader reader)
        {
            while (reader.Read())
            {
                yield return Raw(reader);
            }
        }
    }

    /// <summary>Checkpoint rows as stored (notes unverified), oldest first.</summary>
    public IReadOnlyList<(long Size, string Note)> CheckpointNotes()
    {
        lock (_gate)
        {
            var notes = new List<(long, string)>();
            var command = Statement(null, "SELECT size, note FROM checkpoint ORDER BY size");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                notes.Add((reader.GetInt64(0), reader.GetString(1)));
            }

            return notes;
        }
    }

    public (long Size, string Note)? LatestCheckpointNote()
    {
        lock (_gate)
        {
            return LatestCheckpointIn(null) is { } latest ? (latest.Size, latest.Note) : null;
        }
    }

    public LedgerEntry Read(long index)
    {
        lock (_gate)
        {
            var command = Statement(null, "SELECT entry FROM ledger_entry WHERE idx = $idx", "$idx");
            command.Parameters[0].Value = index;
            return command.ExecuteScalar() is byte[] bytes
                ? LedgerEntryCodec.Decode(bytes)
                : throw new VaultException($"The ledger has no entry {index}.");
        }
    }

    /// <summary>An entry's stored bytes, unchecked (null when there is no BLOB at that index).</summary>
    public byte[]? EntryBytes(long index)
    {
        lock (_gate)
        {
            var command = Statement(null, "SELECT entry FROM ledger_entry WHERE idx = $idx", "$idx");
            command.Parameters[0].Value = index;
            return command.ExecuteScalar() as byte[];
        }
    }

    /// <summary>Every entry in index order, or those about one subject.</summary>
    public IReadOnlyList<LedgerEntry> Entries(string? subject = null)
    {
        lock (_gate)
        {
            var command = subject is null
                ? Statement(null, "SELECT entry FROM ledger_entry ORDER BY idx")
                : Statement(null, "SELECT e.entry FROM ledger_subject s JOIN ledger_entry e ON e.idx = s.idx WHERE s.subject = $subject ORDER BY s.idx", "$subject");
            if (subject is not null)
            {
                command.Parameters[0].Value = subject;
            }

            var entries = new List<LedgerEntry>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                entries.Add(LedgerEntryCodec.Decode((byte[])reader[0]));
            }

            return entries;
        }
    }

    /// <summary>Streams stored rows in index order, as stored (for verification); stops when <paramref name="visit"/> returns false.</summary>
    public void ScanEntries(Func<RawEntry, bool> visit)
    {
        lock (_gate)
        {
            var command = Statement(null, "SELECT idx, time_ns, type, actor, entry FROM ledger_entry ORDER BY idx");
            using var reader = command.ExecuteReader();
            // Rows are untrusted: a column of the wrong type (TEXT where the bytes belong, NULL) is a finding, never a crash.
            while (reader.Read() && visit(Raw(reader)))
            {
            }
        }
    }

    private static RawEntry Raw(SqliteDataReader reader)
    {
        var (index, time, type, actor, entry) = (reader.GetValue(0), reader.GetValue(1), reader.GetValue(2), reader.GetValue(3), reader.GetValue(4));
        var malformed = index is not long ? $"its idx column holds {Describe(index)}"
            : time is not long ? $"its time_ns column holds {Describe(time)}"
            : type is not string ? $"its type column holds {Describe(type)}"
            : actor is not string ? $"its actor column holds {Describe(actor)}"
            : entry is not byte[] ? $"its entry column holds {Describe(entry)} where the entry's bytes belong"
            : null;
        return new RawEntry(index as long? ?? -1, time as long? ?? 0, type as string ?? string.Empty, actor as string ?? string.Empty, entry as byte[] ?? [], malformed);
    }

    /// <summary>A stored value as a finding names it: its SQLite type and a short view of it.</summary>
    internal static string Describe(object value) => value switch
    {
        DBNull => "NULL",
        string text => $"TEXT '{(text.Length > 24 ? text[..24] + "…" : text)}'",
        long number => $"INTEGER {number}",
        double real => $"REAL {real}",
        byte[] bytes => $"a BLOB of {bytes.Length} bytes",
        _ => value.GetType().Name,
    };

    /// <summary>Streams stored Merkle nodes by level, then index; stops when <paramref name="visit"/> returns false.</summary>
    public void ScanNodes(Func<int, long, Sha256Digest, bool> visit)
    {
        lock (_gate)
        {
            var command = Statement(null, "SELECT level, idx, hash FROM merkle_node ORDER BY level, idx");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                // A value that is not 32 bytes (TEXT, NULL, a short BLOB) compares unequal to any recomputed node.
                var digest = reader.GetValue(2) is byte[] { Length: Sha256Digest.Length } hash ? new Sha256Digest(hash) : default;
                if (!visit(reader.GetInt32(0), reader.GetInt64(1), digest))
                {
                    return;
                }
            }
        }
    }

    /// <summary>Per subject in the subject index: how many entries it lists and a fingerprint of their indexes (<see cref="SubjectIndex.Fold"/>).</summary>
    public IReadOnlyList<(string Subject, int Count, ulong Fingerprint)> SubjectIndexSummary()
    {
        lock (_gate)
        {
            var summary = new List<(string, int, ulong)>();
            var command = Statement(null, "SELECT subject, idx FROM ledger_subject ORDER BY subject, idx");
            using var reader = command.ExecuteReader();
            string? current = null;
            int count = 0;
            ulong fingerprint = 0;
            while (reader.Read())
            {
                var subject = reader.GetString(0);
                if (subject != current)
                {
                    if (current is not null)
                    {
                        summary.Add((current, count, fingerprint));
                    }

                    (current, count, fingerprint) = (subject, 0, 0);
                }

                count++;
                fingerprint = SubjectIndex.Fold(fingerprint, reader.GetInt64(1));
            }

            if (current is not null)
            {
                summary.Add((current, count, fingerprint));
            }

            return summary;
        }
    }

    /// <summary>Entries of one type, in index order.</summary>
    public IReadOnlyList<LedgerEntry> EntriesOfType(string type)
    {
        lock (_gate)
        {
            var command = Statement(null, "SELECT entry FROM ledger_entry WHERE type = $type ORDER BY idx", "$type");
            command.Parameters[0].Value = type;
            var entries = new List<LedgerEntry>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                entries.Add(LedgerEntryCodec.Decode((byte[])reader[0]));
            }

            return entries;
        }
    }

    public Sha256Digest PerfectNode(int level, long index)
    {
        lock (_gate)
        {
            return NodeIn(null, level, index);
        }
    }

    public IReadOnlyList<Sha256Digest> InclusionProof(long index, long size)
    {
        lock (_gate)
        {
            var nodes = new TransactionNodes(this, null, SizeIn(null));
            return MerkleProofs.Inclusion(nodes, index, size);
        }
    }

    public Sha256Digest Root(long size)
    {
        lock (_gate)
        {
            return MerkleProofs.Root(new TransactionNodes(this, null, SizeIn(null)), size);
        }
    }

    /// <summary>Runs a read of the catalog under the ledger's lock with its prepared statements.</summary>
    internal T Query<T>(Func<CatalogProjection.Statements, T> read)
    {
        lock (_gate)
        {
            return read((sql, names) => Statement(null, sql, names));
        }
    }

    /// <summary>Runs a change of operational state (the work queue) in one write transaction.</summary>
    internal T Write<T>(Func<CatalogProjection.Statements, T> write)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            var result = write((sql, names) => Statement(transaction, sql, names));
            transaction.Commit();
            return result;
        }
    }

    /// <summary>Runs a read on the raw SQLite handle (for scans where ADO.NET's per-column cost dominates).</summary>
    internal T Raw<T>(Func<SQLitePCL.sqlite3, T> read)
    {
        lock (_gate)
        {
            return read(_connection.Handle!);
        }
    }

    /// <summary>
    /// Replays <paramref name="source"/>'s entries (up to the first <paramref name="take"/> refuses)
    /// into this ledger's derived tables, without copying the entries: a private replay to compare with.
    /// </summary>
    internal long ReplayDerived(SqliteLedger source, Func<RawEntry, bool> take, List<string> problems)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            var replay = new CatalogProjection.Replay(transaction, (sql, names) => Statement(transaction, sql, names), problems);
            source.ScanEntries(raw =>
            {
                if (raw.Malformed is not null)
                {
                    return true; // not an entry at all: derives nothing (custody verify names it)
                }

                if (!take(raw))
                {
                    return false;
                }

                replay.Add(raw.Index, raw.Entry);
                return true;
            });
            var replayed = replay.Finish();
            transaction.Commit();
            return replayed;
        }
    }

    internal long RebuildCatalog(List<string> problems)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            var replayed = CatalogProjection.Rebuild(transaction, (sql, names) => Statement(transaction, sql, names), problems);
            transaction.Commit();
            return replayed;
        }
    }

    private long SizeIn(SqliteTransaction? transaction)
    {
        var command = Statement(transaction, "SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entry");
        return (long)command.ExecuteScalar()!;
    }

    private (long Index, Sha256Digest Leaf)? HeadIn(SqliteTransaction transaction, string subject)
    {
        var command = Statement(transaction, "SELECT MAX(idx) FROM ledger_subject WHERE subject = $subject", "$subject");
        command.Parameters[0].Value = subject;
        return command.ExecuteScalar() is long index ? (index, NodeIn(transaction, 0, index)) : null;
    }

    private (long Size, string Note)? LatestCheckpointIn(SqliteTransaction? transaction)
    {
        var command = Statement(transaction, "SELECT size, note FROM checkpoint ORDER BY size DESC LIMIT 1");
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetString(1)) : null;
    }

    private Sha256Digest NodeIn(SqliteTransaction? transaction, int level, long index)
    {
        var command = Statement(transaction, "SELECT hash FROM merkle_node WHERE level = $level AND idx = $idx", "$level", "$idx");
        command.Parameters[0].Value = level;
        command.Parameters[1].Value = index;
        return command.ExecuteScalar() is byte[] { Length: Sha256Digest.Length } hash
            ? new Sha256Digest(hash)
            : throw new VaultException($"Merkle node ({level}, {index}) is missing from the catalog: the tree table is damaged; run custody verify.");
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var statement in _statements.Values)
            {
                statement.Dispose();
            }

            _statements.Clear();
            if (_ownsConnection)
            {
                _connection.Dispose();
            }
        }
    }

    /// <summary>
    /// Prepared statements are kept for the connection's life: preparing costs more than running
    /// these small statements, and an append runs several per entry. Callers hold the lock.
    /// </summary>
    private SqliteCommand Statement(SqliteTransaction? transaction, string sql, params string[] parameters)
    {
        if (!_statements.TryGetValue(sql, out var command))
        {
            command = _connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in parameters)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            _statements[sql] = command;
        }

        command.Transaction = transaction;
        return command;
    }

    private static void Run(SqliteCommand command, params object[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i];
        }

        command.ExecuteNonQuery();
    }

    /// <summary>The stored tree as seen inside one transaction, for proofs and the append frontier.</summary>
    /// <summary>
    /// Committed perfect nodes of level 4 and up (each over 16 leaves or more: at most one per 16
    /// entries), kept once read. Such a node never changes (merkle_node is append-only), and every
    /// inclusion proof of a node's entries shares the upper ones, so proving an entry reads its few
    /// lowest nodes only. Nodes read inside an append are not kept: that transaction may roll back.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(int Level, long Index), Sha256Digest> _upperNodes = new();

    private const int CachedFromLevel = 4;

    private sealed class TransactionNodes(SqliteLedger ledger, SqliteTransaction? transaction, long size) : IMerkleNodes
    {
        public long Size => size;

        public Sha256Digest PerfectNode(int level, long index)
        {
            if (transaction is not null || level < CachedFromLevel)
            {
                return ledger.NodeIn(transaction, level, index);
            }

            if (ledger._upperNodes.TryGetValue((level, index), out var known))
            {
                return known;
            }

            var node = ledger.NodeIn(null, level, index);
            ledger._upperNodes[(level, index)] = node;
            return node;
        }
    }
}
