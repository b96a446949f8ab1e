using EvidenceVault.Custody.Catalog;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Policy;
using Microsoft.Data.Sqlite;
using NodaTime;

namespace EvidenceVault.Custody.Deadlines;

/// <summary>
/// The catalog as it stood at an instant: the ledger's entries up to that instant (the longest
/// prefix whose times are at or before it), replayed by the same projection that builds the live
/// tables, into a private in-memory database. What a report "as of T" may know, and nothing later:
/// no clip docked after T, no probe, explanation, approval, profile or calendar recorded after T.
/// </summary>
internal sealed class CatalogAsOf : IDisposable
{
    private CatalogAsOf(SqliteLedger ledger, long entries, Instant? lastEntryTime)
    {
        Ledger = ledger;
        Entries = entries;
        LastEntryTime = lastEntryTime;
        Policy = new PolicyState(ledger);
        Clips = new ClipCatalog(ledger);
    }

    public SqliteLedger Ledger { get; }

    public PolicyState Policy { get; }

    public ClipCatalog Clips { get; }

    /// <summary>How many ledger entries (from index 0) the replay holds.</summary>
    public long Entries { get; }

    public Instant? LastEntryTime { get; }

    /// <summary>
    /// The replay up to <paramref name="at"/>, or null when the ledger is empty. Replayed even when no
    /// entry is later than <paramref name="at"/>: a finding rests on the entries, never on derived rows
    /// an administrator could have edited (issue 18 §3).
    /// </summary>
    public static CatalogAsOf? Replay(Vault vault, Instant at)
    {
        var atNs = (at - NodaConstants.UnixEpoch).ToInt64Nanoseconds();
        if (vault.Ledger.Size == 0)
        {
            return null;
        }

        long entries = 0;
        long? lastNs = null;
        // The prefix ends at the first entry written after T.
        var ledger = ReplayInMemory(vault, raw =>
        {
            if (raw.TimeNanoseconds > atNs)
            {
                return false;
            }

            entries++;
            lastNs = raw.TimeNanoseconds;
            return true;
        }, []);
        return new CatalogAsOf(ledger, entries, lastNs is { } ns ? NodaConstants.UnixEpoch + Duration.FromNanoseconds(ns) : null);
    }

    /// <summary>
    /// A private in-memory catalog: the vault's entries in index order, up to the first that
    /// <paramref name="take"/> refuses, replayed by the projection that builds the live tables. A row
    /// that is not an entry at all derives nothing and is left out; an entry the projection cannot
    /// apply is named in <paramref name="unreplayable"/>.
    /// </summary>
    internal static SqliteLedger ReplayInMemory(Vault vault, Func<RawEntry, bool> take, List<string> unreplayable, bool keepEntries = true)
    {
        var connection = new SqliteConnection("Data Source=:memory:");
        try
        {
            connection.Open();
            CatalogSchema.Migrate(connection, "a replay of the ledger");
            if (!keepEntries)
            {
                // Derived tables only (what DerivedState compares): applied straight from the scan.
                var derived = new SqliteLedger(connection, new Lock(), vault.Clock, ownsConnection: true);
                using var source = vault.OpenSecondReader();
                derived.ReplayDerived(source, take, unreplayable);
                return derived;
            }

            using (var transaction = connection.BeginTransaction())
            using (var insert = connection.CreateCommand())
            {
                insert.Transaction = transaction;
                insert.CommandText = "INSERT INTO ledger_entry(idx, time_ns, type, actor, entry) VALUES ($i, $t, $y, $a, $e)";
                var parameters = new[] { "$i", "$t", "$y", "$a", "$e" }.Select(n => insert.Parameters.Add(new SqliteParameter { ParameterName = n })).ToArray();
                vault.Ledger.ScanEntries(raw =>
                {
                    if (raw.Malformed is not null)
                    {
                        return true;
                    }

                    if (!take(raw))
                    {
                        return false;
                    }

                    parameters[0].Value = raw.Index;
                    parameters[1].Value = raw.TimeNanoseconds;
                    parameters[2].Value = raw.Type;
                    parameters[3].Value = raw.Actor;
                    parameters[4].Value = raw.Entry;
                    insert.ExecuteNonQuery();
                    return true;
                });
                transaction.Commit();
            }

            var ledger = new SqliteLedger(connection, new Lock(), vault.Clock, ownsConnection: true);
            ledger.RebuildCatalog(unreplayable);
            return ledger;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public void Dispose() => Ledger.Dispose();
}
