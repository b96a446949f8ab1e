using EvidenceVault.Custody.Checkpoints;
using EvidenceVault.Custody.Merkle;

namespace EvidenceVault.Custody.Ledger;

/// <summary>
/// Where the custody ledger lives: its entries with their per-subject links, the Merkle tree's
/// perfect nodes and the signed checkpoints. Two implementations with one contract test suite:
/// SQLite (<see cref="SqliteLedger"/>, the embedded default) and PostgreSQL
/// (<see cref="PostgresLedger"/>, the deployment). Both refuse to change or remove a stored row.
/// </summary>
public interface ILedgerStore : IMerkleNodes, IDisposable
{
    /// <summary>
    /// Appends facts as one transaction: consecutive indexes, each subject linked to its previous
    /// entry, the batch sealed by <paramref name="sealer"/> (<see cref="EntrySeal"/>).
    /// </summary>
    IReadOnlyList<LedgerEntry> Append(IReadOnlyList<NewEntry> batch, EntrySealer sealer);

    /// <summary>
    /// Signs a checkpoint of the current size unless the newest already covers it; null then. Refuses
    /// (VaultException, logged as fatal) when an entry it would cover first is not one the vault wrote.
    /// </summary>
    Checkpoint? SignCheckpoint(NoteSigningKey key);

    IReadOnlyList<(long Size, string Note)> CheckpointNotes();

    (long Size, string Note)? LatestCheckpointNote();

    LedgerEntry Read(long index);

    /// <summary>Every entry in index order, or those about one subject.</summary>
    IReadOnlyList<LedgerEntry> Entries(string? subject = null);

    IReadOnlyList<Sha256Digest> InclusionProof(long index, long size);

    Sha256Digest Root(long size);

    /// <summary>
    /// Why an append would fail right now (the database is read-only, another process holds its write
    /// lock, the server is a standby), or null when it can be written. Takes the write lock for an
    /// instant and writes nothing; waits at most about a second.
    /// </summary>
    string? WriteProblem();
}

/// <summary>The durable work queue: the outbox of ledger appends, leased to one worker at a time.</summary>
public interface IWorkQueue
{
    void Enqueue(string kind, string subject);

    Work.WorkItem? Claim(string owner, NodaTime.Duration lease);

    void Complete(Work.WorkItem item);

    bool Fail(Work.WorkItem item, string error);

    NodaTime.Duration? NextReadyIn();
}
