using EvidenceVault.Custody.Catalog;
using EvidenceVault.Custody.Ledger;
using NodaTime;

namespace EvidenceVault.Custody.Work;

/// <summary>One job: what to do (kind) to what (subject, e.g. a clip's SHA-256).</summary>
public sealed record WorkItem(long Id, string Kind, string Subject, int Attempts);

/// <summary>
/// The durable work queue in the catalog (operational state, not custody). Jobs are queued in the
/// same transaction as the ledger entry that causes them (outbox), delivered at least once, leased to
/// one worker at a time (a crashed worker's lease runs out and another takes the job), retried with
/// exponential backoff and jitter, and parked with their reason after <see cref="MaxAttempts"/>.
/// Claims run in an immediate write transaction, so several worker processes never take the same job.
/// </summary>
public sealed class WorkQueue : Ledger.IWorkQueue
{
    public const string Probe = "probe";
    public const string Speech = "speech";

    /// <summary>Attempts before a job is parked for a person to look at. Default 5.</summary>
    public const int MaxAttempts = 5;

    private readonly SqliteLedger _ledger;
    private readonly IClock _clock;

    internal WorkQueue(SqliteLedger ledger, IClock clock)
    {
        _ledger = ledger;
        _clock = clock;
    }

    /// <summary>The jobs an appended entry causes: every clip taken into custody is probed.</summary>
    internal static void EnqueueFor(CatalogProjection.Statements statements, LedgerEntry entry)
    {
        if (entry.Type == EntryTypes.ClipIngested)
        {
            Insert(statements, Probe, PayloadJson.Deserialize<ClipIngestedPayload>(entry.Payload).Sha256);
        }
    }

    /// <summary>Queues a job unless the same kind for the same subject is already queued (or done).</summary>
    public void Enqueue(string kind, string subject) => _ledger.Write(statements =>
    {
        Insert(statements, kind, subject);
        return 0;
    });

    /// <summary>Leases the next ready job to <paramref name="owner"/> for <paramref name="lease"/>, or null when none is ready.</summary>
    public WorkItem? Claim(string owner, Duration lease) => _ledger.Write(statements =>
    {
        var now = Nanoseconds(_clock.GetCurrentInstant());
        var select = statements("""
            SELECT id, kind, subject, attempts FROM work_item
            WHERE state = 'pending' AND not_before_ns <= $now AND (lease_until_ns IS NULL OR lease_until_ns < $now)
            ORDER BY id LIMIT 1
            """, ["$now"]);
        select.Parameters[0].Value = now;
        WorkItem? item = null;
        using (var reader = select.ExecuteReader())
        {
            if (reader.Read())
            {
                item = new WorkItem(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3));
            }
        }

        if (item is not null)
        {
            var update = statements("UPDATE work_item SET lease_owner = $owner, lease_until_ns = $until WHERE id = $id", ["$owner", "$until", "$id"]);
            update.Parameters[0].Value = owner;
            update.Parameters[1].Value = now + lease.ToInt64Nanoseconds();
            update.Parameters[2].Value = item.Id;
            update.ExecuteNonQuery();
        }

        return item;
    });

    public void Complete(WorkItem item) => _ledger.Write(statements =>
    {
        var update = statements("UPDATE work_item SET state = 'done', lease_owner = NULL, lease_until_ns = NULL, last_error = NULL WHERE id = $id", ["$id"]);
        update.Parameters[0].Value = item.Id;
        return update.ExecuteNonQuery();
    });

    /// <summary>Records a failed attempt: retried later with backoff and jitter, or parked with its reason after the last attempt.</summary>
    public bool Fail(WorkItem item, string error) => _ledger.Write(statements =>
    {
        var attempts = item.Attempts + 1;
        var parked = attempts >= MaxAttempts;
        // 2^attempts seconds, ±50 % jitter so workers that failed together do not retry together.
        var backoff = Duration.FromSeconds(Math.Pow(2, attempts) * (0.5 + Random.Shared.NextDouble()));
        var update = statements("""
            UPDATE work_item SET attempts = $attempts, state = $state, not_before_ns = $notBefore,
                lease_owner = NULL, lease_until_ns = NULL, last_error = $error WHERE id = $id
            """, ["$attempts", "$state", "$notBefore", "$error", "$id"]);
        update.Parameters[0].Value = attempts;
        update.Parameters[1].Value = parked ? "parked" : "pending";
        update.Parameters[2].Value = Nanoseconds(_clock.GetCurrentInstant() + backoff);
        update.Parameters[3].Value = error;
        update.Parameters[4].Value = item.Id;
        update.ExecuteNonQuery();
        return parked;
    });

    /// <summary>Time until the earliest pending job becomes ready (zero when one is ready), or null when none is pending.</summary>
    public Duration? NextReadyIn() => _ledger.Query(statements =>
    {
        var next = statements("SELECT MIN(MAX(not_before_ns, COALESCE(lease_until_ns, 0))) FROM work_item WHERE state = 'pending'", []).ExecuteScalar();
        if (next is not long ns)
        {
            return (Duration?)null;
        }

        var wait = Duration.FromNanoseconds(ns - Nanoseconds(_clock.GetCurrentInstant()));
        return wait < Duration.Zero ? Duration.Zero : wait;
    });

    private static void Insert(CatalogProjection.Statements statements, string kind, string subject)
    {
        var insert = statements("INSERT OR IGNORE INTO work_item(kind, subject) VALUES ($kind, $subject)", ["$kind", "$subject"]);
        insert.Parameters[0].Value = kind;
        insert.Parameters[1].Value = subject;
        insert.ExecuteNonQuery();
    }

    private static long Nanoseconds(Instant instant) => (instant - NodaConstants.UnixEpoch).ToInt64Nanoseconds();
}
