using EvidenceVault.Custody.Catalog;
using EvidenceVault.Custody.Ledger;
using Microsoft.Data.Sqlite;

namespace EvidenceVault.Custody.Verification;

/// <summary>
/// The derived tables checked against the ledger: every entry is replayed, by the same projection
/// that maintains the live tables, into a private in-memory catalog, and each derived table is
/// compared with the stored one row by row, both ways. A row forged with SQL (a role grant, an API
/// key, a shortened clip, a speech review) is a row no entry made; an edited or deleted row is a
/// derived row missing. Nothing is trusted from the stored tables but the comparison itself.
/// </summary>
public static class DerivedState
{
    /// <summary>One way a derived table differs from the replay: how many rows each side lacks, and one example of each.</summary>
    public sealed record Difference(string Table, long MissingOrChanged, long NotFromAnyEntry, string? MissingExample, string? ForgedExample)
    {
        public override string ToString() =>
            $"derived table {Table} differs from a replay of the ledger: {MissingOrChanged} derived row(s) missing or changed{(MissingExample is null ? string.Empty : $" (e.g. {MissingExample})")}, " +
            $"{NotFromAnyEntry} row(s) made by no entry{(ForgedExample is null ? string.Empty : $" (e.g. {ForgedExample})")}";
    }

    /// <summary>Every derived table that differs from a replay of the vault's ledger; entries the replay could not apply are named in <paramref name="unreplayable"/>.</summary>
    public static IReadOnlyList<Difference> Compare(Vault vault, List<string> unreplayable)
    {
        using var replay = new SqliteConnection("Data Source=:memory:");
        replay.Open();
        CatalogSchema.Migrate(replay, "the verification replay");
        using (var transaction = replay.BeginTransaction())
        using (var insert = replay.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO ledger_entry(idx, time_ns, type, actor, entry) VALUES ($i, $t, $y, $a, $e)";
            var parameters = new[] { "$i", "$t", "$y", "$a", "$e" }.Select(n => insert.Parameters.Add(new SqliteParameter { ParameterName = n })).ToArray();
            vault.Ledger.ScanEntries(raw =>
            {
                if (raw.Malformed is not null)
                {
                    return true; // named by the ledger check; a row that is no entry derives nothing
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

        using (var transaction = replay.BeginTransaction())
        {
            var statements = new Dictionary<string, SqliteCommand>(StringComparer.Ordinal);
            CatalogProjection.Rebuild(transaction, (sql, names) =>
            {
                if (!statements.TryGetValue(sql, out var command))
                {
                    command = replay.CreateCommand();
                    command.CommandText = sql;
                    foreach (var name in names)
                    {
                        command.Parameters.Add(new SqliteParameter { ParameterName = name });
                    }

                    statements[sql] = command;
                }

                command.Transaction = transaction;
                return command;
            }, unreplayable);
            transaction.Commit();
            foreach (var command in statements.Values)
            {
                command.Dispose();
            }
        }

        using (var attach = replay.CreateCommand())
        {
            attach.CommandText = "ATTACH DATABASE $path AS stored";
            attach.Parameters.AddWithValue("$path", Path.Combine(vault.DataDirectory, Vault.CatalogFile));
            attach.ExecuteNonQuery();
        }

        var differences = new List<Difference>();
        foreach (var table in CatalogProjection.DerivedTables)
        {
            var missing = Count(replay, $"SELECT * FROM main.{table} EXCEPT SELECT * FROM stored.{table}");
            var forged = Count(replay, $"SELECT * FROM stored.{table} EXCEPT SELECT * FROM main.{table}");
            if (missing + forged > 0)
            {
                differences.Add(new Difference(table, missing, forged,
                    missing > 0 ? Example(replay, $"SELECT * FROM main.{table} EXCEPT SELECT * FROM stored.{table} LIMIT 1") : null,
                    forged > 0 ? Example(replay, $"SELECT * FROM stored.{table} EXCEPT SELECT * FROM main.{table} LIMIT 1") : null));
            }
        }

        return differences;
    }

    private static long Count(SqliteConnection connection, string query)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM ({query})";
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>One row as column=value pairs, values shortened: enough for the clerk to find it.</summary>
    private static string Example(SqliteConnection connection, string query)
    {
        using var command = connection.CreateCommand();
        command.CommandText = query;
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return string.Empty;
        }

        var fields = new List<string>();
        for (var i = 0; i < reader.FieldCount; i++)
        {
            var value = reader.GetValue(i) switch
            {
                DBNull => "NULL",
                byte[] bytes => Convert.ToHexStringLower(bytes.AsSpan(0, Math.Min(bytes.Length, 8))) + (bytes.Length > 8 ? "…" : string.Empty),
                var other => Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty,
            };
            fields.Add($"{reader.GetName(i)}={(value.Length > 40 ? value[..40] + "…" : value)}");
        }

        return string.Join(", ", fields);
    }
}
