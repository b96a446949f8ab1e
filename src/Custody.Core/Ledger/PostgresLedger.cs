using System.Security.Cryptography;
using EvidenceVault.Custody.Checkpoints;
using EvidenceVault.Custody.Merkle;
using NodaTime;
using Npgsql;

namespace EvidenceVault.Custody.Ledger;

/// <summary>
/// The custody ledger on PostgreSQL (deployment): the same entries, links, tree nodes and checkpoints
/// as <see cref="SqliteLedger"/>, byte for byte. Appends from any number of processes are serialised by
/// a transaction-scoped advisory lock (the application role may not lock the tables themselves), so
/// indexes stay consecutive and each subject's chain unbroken. Work caused by an entry is queued in
/// the same transaction (outbox).
/// </summary>
public sealed class PostgresLedger(NpgsqlDataSource dataSource, IClock clock) : ILedgerStore
{
    private const long AppendLock = 7301;

    public long Size => Retrying(() =>
    {
        using var connection = dataSource.OpenConnection();
        return SizeIn(connection, null);
    });

    public string? WriteProblem()
    {
        try
        {
            using var connection = dataSource.OpenConnection();
            using var probe = connection.CreateCommand();
            probe.CommandText = "SELECT pg_is_in_recovery(), current_setting('transaction_read_only')";
            probe.CommandTimeout = 2;
            using var reader = probe.ExecuteReader();
            reader.Read();
            return reader.GetBoolean(0) ? "the PostgreSQL server is a standby (in recovery): appends go to the primary"
                : reader.GetString(1) == "on" ? "the PostgreSQL session is read-only (default_transaction_read_only)"
                : null;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return $"the PostgreSQL ledger cannot be reached: {e.Message}";
        }
    }

    public IReadOnlyList<LedgerEntry> Append(IReadOnlyList<NewEntry> batch, EntrySealer sealer) => AppendRetrying(batch, sealer, onlyIfEmpty: false);

    /// <summary>The set-up entries, unless another node set the ledger up first (then nothing, and an empty list).</summary>
    public IReadOnlyList<LedgerEntry> AppendIfEmpty(IReadOnlyList<NewEntry> batch, EntrySealer sealer) => AppendRetrying(batch, sealer, onlyIfEmpty: true);

    /// <summary>Attempts at an operation the server failed transiently (restart, failover, dropped connection).</summary>
    public const int MaxAttempts = 12;

    /// <summary>
    /// An append survives the server going away (a restart, a failover to the standby): it is tried
    /// again with backoff. A commit interrupted on its way back may have landed, so before trying
    /// again the ledger is asked for the attempted first entry: the same bytes (its random salt makes
    /// them unique) mean the append is done, so a fact is never lost and never ledgered twice.
    /// </summary>
    private IReadOnlyList<LedgerEntry> AppendRetrying(IReadOnlyList<NewEntry> batch, EntrySealer sealer, bool onlyIfEmpty)
    {
        IReadOnlyList<LedgerEntry>? attempted = null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (attempted is { Count: > 0 } previous)
                {
                    if (Landed(previous[0]))
                    {
                        return previous;
                    }

                    attempted = null;
                }

                return Append(batch, sealer, onlyIfEmpty, entries => attempted = entries);
            }
            catch (NpgsqlException e) when (e.IsTransient && attempt < MaxAttempts)
            {
                Backoff(attempt, e);
            }
        }
    }

    private bool Landed(LedgerEntry entry)
    {
        using var connection = dataSource.OpenConnection();
        using var command = new NpgsqlCommand("SELECT entry FROM ledger_entry WHERE idx = @i", connection);
        command.Parameters.AddWithValue("i", entry.Index);
        return command.ExecuteScalar() is byte[] stored && stored.AsSpan().SequenceEqual(LedgerEntryCodec.Encode(entry));
    }

    private static void Backoff(int attempt, NpgsqlException e)
    {
        var delay = TimeSpan.FromMilliseconds(Math.Min(250 * Math.Pow(2, attempt - 1), 8000) * (0.5 + Random.Shared.NextDouble()));
        Serilog.Log.Warning("PostgreSQL: {Error}; attempt {Attempt} in {Delay}", e.Message, attempt + 1, delay);
        Thread.Sleep(delay);
    }

    /// <summary>Reads and other operations that may simply be run again.</summary>
    internal static T Retrying<T>(Func<T> operation)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return operation();
            }
            catch (NpgsqlException e) when (e.IsTransient && attempt < MaxAttempts)
            {
                Backoff(attempt, e);
            }
        }
    }

    private IReadOnlyList<LedgerEntry> Append(IReadOnlyList<NewEntry> batch, EntrySealer sealer, bool onlyIfEmpty, Action<IReadOnlyList<LedgerEntry>> committing)
    {
        using var connection = dataSource.OpenConnection();
        using var transaction = connection.BeginTransaction();
        Execute(connection, transaction, "SELECT pg_advisory_xact_lock(@k)", ("k", AppendLock));
        var size = SizeIn(connection, transaction);
        if (onlyIfEmpty && size > 0)
        {
            return [];
        }

        var range = CompactRange.FromNodes(new Nodes(connection, transaction, size), size);
        // The newest entry about every subject of the batch, in two queries (not two per entry).
        var heads = HeadsIn(connection, transaction, batch.SelectMany(f => f.Subjects).Distinct(StringComparer.Ordinal).ToArray());
        var appended = new List<LedgerEntry>(batch.Count);
        var leaves = new List<Sha256Digest>(batch.Count);
        // Entry times never go backwards, whichever node's clock is behind (docs/ledger-format.md §5).
        var floor = Scalar(connection, transaction, "SELECT time_ns FROM ledger_entry ORDER BY idx DESC LIMIT 1") is long last
            ? NodaConstants.UnixEpoch + Duration.FromNanoseconds(last)
            : Instant.MinValue;
        using var entries = new NpgsqlBatch(connection, transaction);
        foreach (var fact in batch)
        {
            var index = size + appended.Count;
            var links = new List<SubjectLink>(fact.Subjects.Count);
            foreach (var subject in fact.Subjects.Distinct(StringComparer.Ordinal))
            {
                links.Add(heads.TryGetValue(subject, out var h) ? new SubjectLink(subject, h.Index, h.Leaf) : new SubjectLink(subject, null, null));
            }

            var now = clock.GetCurrentInstant();
            floor = now > floor ? now : floor;
            var entry = new LedgerEntry(index, floor, fact.Type, fact.Actor, links, fact.Reason, fact.Payload, RandomNumberGenerator.GetBytes(SqliteLedger.SaltLength));
            var bytes = LedgerEntryCodec.Encode(entry);
            var leaf = MerkleHash.Leaf(bytes);
            leaves.Add(leaf);
            Add(entries, "INSERT INTO ledger_entry(idx, time_ns, type, actor, entry) VALUES ($1, $2, $3, $4, $5)",
                index, (entry.Time - NodaConstants.UnixEpoch).ToInt64Nanoseconds(), entry.Type, entry.Actor, bytes);
            foreach (var link in links)
            {
                Add(entries, "INSERT INTO ledger_subject(subject, idx) VALUES ($1, $2)", link.Subject, index);
                heads[link.Subject] = (index, leaf);
            }

            range.Append(leaf, (level, nodeIndex, hash) => Add(entries, "INSERT INTO merkle_node(level, idx, hash) VALUES ($1, $2, $3)", level, nodeIndex, hash.ToArray()));
            if (entry.Type == EntryTypes.ClipIngested)
            {
                Add(entries, "INSERT INTO work_item(kind, subject) VALUES ($1, $2) ON CONFLICT DO NOTHING", Work.WorkQueue.Probe, PayloadJson.Deserialize<ClipIngestedPayload>(entry.Payload).Sha256);
            }

            appended.Add(entry);
        }

        if (appended.Count > 0)
        {
            var seal = EntrySeal.Create(sealer.Key, sealer.Node, size, leaves);
            Add(entries, "INSERT INTO entry_seal(last_idx, first_idx, node, signature) VALUES ($1, $2, $3, $4)", seal.Last, seal.First, seal.Node, seal.Signature);
            entries.ExecuteNonQuery();
        }

        committing(appended);
        transaction.Commit();
        return appended;
    }

    public Checkpoint? SignCheckpoint(NoteSigningKey key) => Retrying(() => SignCheckpointOnce(key));

    private Checkpoint? SignCheckpointOnce(NoteSigningKey key)
    {
        using var connection = dataSource.OpenConnection();
        using var transaction = connection.BeginTransaction();
        Execute(connection, transaction, "SELECT pg_advisory_xact_lock(@k)", ("k", AppendLock));
        var size = SizeIn(connection, transaction);
        var latest = LatestIn(connection, transaction);
        if (size == 0 || latest?.Size == size)
        {
            return null;
        }

        var from = latest?.Size ?? 0;
        if (SignerCheck.Refusal(RawRows(connection, transaction, Math.Max(0, from - 1)), from, size, index => NodeIn(connection, transaction, 0, index), () => SealsIn(connection, transaction, from), key.Verifier) is { } refusal)
        {
            throw SignerCheck.Refuse(refusal);
        }

        var checkpoint = Checkpoint.Create(key, size, MerkleProofs.Root(new Nodes(connection, transaction, size), size));
        Execute(connection, transaction, "INSERT INTO checkpoint(size, root, note, signed_ns) VALUES (@s, @r, @n, @t)",
            ("s", size), ("r", checkpoint.Root.ToArray()), ("n", checkpoint.Note), ("t", (clock.GetCurrentInstant() - NodaConstants.UnixEpoch).ToInt64Nanoseconds()));
        transaction.Commit();
        return checkpoint;
    }

    public IReadOnlyList<(long Size, string Note)> CheckpointNotes()
    {
        using var connection = dataSource.OpenConnection();
        using var command = new NpgsqlCommand("SELECT size, note FROM checkpoint ORDER BY size", connection);
        using var reader = command.ExecuteReader();
        var notes = new List<(long, string)>();
        while (reader.Read())
        {
            notes.Add((reader.GetInt64(0), reader.GetString(1)));
        }

        return notes;
    }

    public (long Size, string Note)? LatestCheckpointNote()
    {
        using var connection = dataSource.OpenConnection();
        return LatestIn(connection, null);
    }

    /// <summary>Entries from <paramref name="from"/> on, in index order (a node's replica catching up).</summary>
    public IReadOnlyList<LedgerEntry> EntriesFrom(long from) => Retrying(() => EntriesFromOnce(from, out _));

    /// <summary>
    /// The entries from <paramref name="from"/> up to the first row that is not the entry of its index
    /// (a row written around the ledger); that row is named in <paramref name="problem"/>, so a replica
    /// takes what holds and its node keeps serving (issue 18 §11).
    /// </summary>
    public IReadOnlyList<LedgerEntry> EntriesFrom(long from, out string? problem)
    {
        string? found = null;
        var entries = Retrying(() => EntriesFromOnce(from, out found));
        problem = found;
        return entries;
    }

    private List<LedgerEntry> EntriesFromOnce(long from, out string? problem)
    {
        using var connection = dataSource.OpenConnection();
        using var command = new NpgsqlCommand("SELECT idx, entry FROM ledger_entry WHERE idx >= @f ORDER BY idx", connection);
        command.Parameters.AddWithValue("f", from);
        using var reader = command.ExecuteReader();
        var entries = new List<LedgerEntry>();
        problem = null;
        while (reader.Read())
        {
            var index = reader.GetInt64(0);
            try
            {
                var entry = LedgerEntryCodec.Decode((byte[])reader[1]);
                if (entry.Index != index || index != from + entries.Count)
                {
                    problem = $"central ledger entry {index} holds the bytes of entry {entry.Index} (or an entry before it is missing)";
                    break;
                }

                entries.Add(entry);
            }
            catch (FormatException e)
            {
                problem = $"central ledger entry {index} is not a valid entry: {e.Message}";
                break;
            }
        }

        return entries;
    }

    private static List<LedgerEntry> ReadEntries(NpgsqlCommand command)
    {
        using var reader = command.ExecuteReader();
        var entries = new List<LedgerEntry>();
        while (reader.Read())
        {
            entries.Add(LedgerEntryCodec.Decode((byte[])reader[0]));
        }

        return entries;
    }

    /// <summary>Seal rows ending at or after <paramref name="from"/>, by last index (a replica copies them with the entries).</summary>
    public IReadOnlyList<EntrySeal> SealsFrom(long from) => Retrying(() =>
    {
        using var connection = dataSource.OpenConnection();
        return SealsIn(connection, null, from);
    });

    private static List<EntrySeal> SealsIn(NpgsqlConnection connection, NpgsqlTransaction? transaction, long from)
    {
        using var command = new NpgsqlCommand("SELECT first_idx, last_idx, node, signature FROM entry_seal WHERE last_idx >= @f ORDER BY last_idx", connection, transaction);
        command.Parameters.AddWithValue("f", from);
        using var reader = command.ExecuteReader();
        var seals = new List<EntrySeal>();
        while (reader.Read())
        {
            seals.Add(new EntrySeal(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), (byte[])reader[3]));
        }

        return seals;
    }

    /// <summary>Stored rows from <paramref name="from"/> as the signer checks them (their columns beside their bytes).</summary>
    private static List<RawEntry> RawRows(NpgsqlConnection connection, NpgsqlTransaction transaction, long from)
    {
        using var command = new NpgsqlCommand("SELECT idx, time_ns, type, actor, entry FROM ledger_entry WHERE idx >= @f ORDER BY idx", connection, transaction);
        command.Parameters.AddWithValue("f", from);
        using var reader = command.ExecuteReader();
        var rows = new List<RawEntry>();
        while (reader.Read())
        {
            rows.Add(new RawEntry(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), (byte[])reader[4]));
        }

        return rows;
    }

    private static object? Scalar(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        return command.ExecuteScalar();
    }

    /// <summary>Checkpoint rows larger than <paramref name="size"/>, oldest first.</summary>
    public IReadOnlyList<(long Size, Sha256Digest Root, string Note, long SignedNanoseconds)> CheckpointsAfter(long size) => Retrying(() => CheckpointsAfterOnce(size));

    private List<(long Size, Sha256Digest Root, string Note, long SignedNanoseconds)> CheckpointsAfterOnce(long size)
    {
        using var connection = dataSource.OpenConnection();
        using var command = new NpgsqlCommand("SELECT size, root, note, signed_ns FROM checkpoint WHERE size > @s ORDER BY size", connection);
        command.Parameters.AddWithValue("s", size);
        using var reader = command.ExecuteReader();
        var rows = new List<(long, Sha256Digest, string, long)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), new Sha256Digest((byte[])reader[1]), reader.GetString(2), reader.GetInt64(3)));
        }

        return rows;
    }

    public LedgerEntry Read(long index)
    {
        using var connection = dataSource.OpenConnection();
        using var command = new NpgsqlCommand("SELECT entry FROM ledger_entry WHERE idx = @i", connection);
        command.Parameters.AddWithValue("i", index);
        return command.ExecuteScalar() is byte[] bytes ? LedgerEntryCodec.Decode(bytes) : throw new VaultException($"The ledger has no entry {index}.");
    }

    public IReadOnlyList<LedgerEntry> Entries(string? subject = null) => subject is null ? EntriesFrom(0) : Retrying(() =>
    {
        using var connection = dataSource.OpenConnection();
        using var command = new NpgsqlCommand("SELECT e.entry FROM ledger_subject s JOIN ledger_entry e ON e.idx = s.idx WHERE s.subject = @s ORDER BY s.idx", connection);
        command.Parameters.AddWithValue("s", subject);
        return ReadEntries(command);
    });

    public Sha256Digest PerfectNode(int level, long index)
    {
        using var connection = dataSource.OpenConnection();
        return NodeIn(connection, null, level, index);
    }

    public IReadOnlyList<Sha256Digest> InclusionProof(long index, long size)
    {
        using var connection = dataSource.OpenConnection();
        return MerkleProofs.Inclusion(new Nodes(connection, null, SizeIn(connection, null)), index, size);
    }

    public Sha256Digest Root(long size)
    {
        using var connection = dataSource.OpenConnection();
        return MerkleProofs.Root(new Nodes(connection, null, SizeIn(connection, null)), size);
    }

    public void Dispose()
    {
        // The data source belongs to whoever made it (it pools connections for the ledger and the queue).
    }

    private static long SizeIn(NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        using var command = new NpgsqlCommand("SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entry", connection, transaction);
        return (long)command.ExecuteScalar()!;
    }

    private static Dictionary<string, (long Index, Sha256Digest Leaf)> HeadsIn(NpgsqlConnection connection, NpgsqlTransaction transaction, string[] subjects)
    {
        var heads = new Dictionary<string, (long Index, Sha256Digest Leaf)>(StringComparer.Ordinal);
        if (subjects.Length == 0)
        {
            return heads;
        }

        using var command = new NpgsqlCommand("""
            SELECT h.subject, h.idx, n.hash
            FROM (SELECT subject, MAX(idx) AS idx FROM ledger_subject WHERE subject = ANY(@s) GROUP BY subject) h
            JOIN merkle_node n ON n.level = 0 AND n.idx = h.idx
            """, connection, transaction);
        command.Parameters.AddWithValue("s", subjects);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            heads[reader.GetString(0)] = (reader.GetInt64(1), new Sha256Digest((byte[])reader[2]));
        }

        return heads;
    }

    private static (long Size, string Note)? LatestIn(NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        using var command = new NpgsqlCommand("SELECT size, note FROM checkpoint ORDER BY size DESC LIMIT 1", connection, transaction);
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), reader.GetString(1)) : null;
    }

    private static Sha256Digest NodeIn(NpgsqlConnection connection, NpgsqlTransaction? transaction, int level, long index)
    {
        using var command = new NpgsqlCommand("SELECT hash FROM merkle_node WHERE level = @l AND idx = @i", connection, transaction);
        command.Parameters.AddWithValue("l", level);
        command.Parameters.AddWithValue("i", index);
        return command.ExecuteScalar() is byte[] { Length: Sha256Digest.Length } hash
            ? new Sha256Digest(hash)
            : throw new VaultException($"Merkle node ({level}, {index}) is missing from the database: the tree table is damaged; run custody verify.");
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        command.ExecuteNonQuery();
    }

    private static void Add(NpgsqlBatch batch, string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        batch.BatchCommands.Add(command);
    }

    private sealed class Nodes(NpgsqlConnection connection, NpgsqlTransaction? transaction, long size) : IMerkleNodes
    {
        public long Size => size;

        public Sha256Digest PerfectNode(int level, long index) => NodeIn(connection, transaction, level, index);
    }
}
