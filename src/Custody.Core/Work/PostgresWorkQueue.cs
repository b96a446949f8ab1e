using EvidenceVault.Custody.Ledger;
using NodaTime;
using Npgsql;

namespace EvidenceVault.Custody.Work;

/// <summary>
/// The work queue on PostgreSQL: N workers on N machines claim jobs with <c>FOR UPDATE SKIP LOCKED</c>,
/// so no two take the same job and none waits on another's row; leases, backoff with jitter and
/// parking as in <see cref="WorkQueue"/>.
/// </summary>
public sealed class PostgresWorkQueue(NpgsqlDataSource dataSource, IClock clock) : IWorkQueue
{
    public void Enqueue(string kind, string subject) =>
        Execute("INSERT INTO work_item(kind, subject) VALUES (@k, @s) ON CONFLICT DO NOTHING", ("k", kind), ("s", subject));

    /// <summary>A claim lost with its answer leaves the job leased until the lease runs out; then it is delivered again (at least once).</summary>
    public WorkItem? Claim(string owner, Duration lease) => PostgresLedger.Retrying(() => ClaimOnce(owner, lease));

    private WorkItem? ClaimOnce(string owner, Duration lease)
    {
        var now = Nanoseconds(clock.GetCurrentInstant());
        using var connection = dataSource.OpenConnection();
        using var command = new NpgsqlCommand("""
            UPDATE work_item SET lease_owner = @owner, lease_until_ns = @until
            WHERE id = (SELECT id FROM work_item
                        WHERE state = 'pending' AND not_before_ns <= @now AND (lease_until_ns IS NULL OR lease_until_ns < @now)
                        ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, kind, subject, attempts
            """, connection);
        command.Parameters.AddWithValue("owner", owner);
        command.Parameters.AddWithValue("until", now + lease.ToInt64Nanoseconds());
        command.Parameters.AddWithValue("now", now);
        using var reader = command.ExecuteReader();
        return reader.Read() ? new WorkItem(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3)) : null;
    }

    public void Complete(WorkItem item) =>
        Execute("UPDATE work_item SET state = 'done', lease_owner = NULL, lease_until_ns = NULL, last_error = NULL WHERE id = @id", ("id", item.Id));

    public bool Fail(WorkItem item, string error)
    {
        var attempts = item.Attempts + 1;
        var parked = attempts >= WorkQueue.MaxAttempts;
        var backoff = Duration.FromSeconds(Math.Pow(2, attempts) * (0.5 + Random.Shared.NextDouble()));
        Execute("""
            UPDATE work_item SET attempts = @a, state = @state, not_before_ns = @nb, lease_owner = NULL, lease_until_ns = NULL, last_error = @e WHERE id = @id
            """, ("a", attempts), ("state", parked ? "parked" : "pending"), ("nb", Nanoseconds(clock.GetCurrentInstant() + backoff)), ("e", error), ("id", item.Id));
        return parked;
    }

    public Duration? NextReadyIn() => PostgresLedger.Retrying(NextReadyInOnce);

    private Duration? NextReadyInOnce()
    {
        using var connection = dataSource.OpenConnection();
        using var command = new NpgsqlCommand("SELECT MIN(GREATEST(not_before_ns, COALESCE(lease_until_ns, 0))) FROM work_item WHERE state = 'pending'", connection);
        if (command.ExecuteScalar() is not long ns)
        {
            return null;
        }

        var wait = Duration.FromNanoseconds(ns - Nanoseconds(clock.GetCurrentInstant()));
        return wait < Duration.Zero ? Duration.Zero : wait;
    }

    private void Execute(string sql, params (string Name, object Value)[] parameters) => PostgresLedger.Retrying(() =>
    {
        using var connection = dataSource.OpenConnection();
        using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command.ExecuteNonQuery();
    });

    private static long Nanoseconds(Instant instant) => (instant - NodaConstants.UnixEpoch).ToInt64Nanoseconds();
}
