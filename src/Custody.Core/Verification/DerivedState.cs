using EvidenceVault.Custody.Catalog;
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
        using var replay = Deadlines.CatalogAsOf.ReplayInMemory(vault, _ => true, unreplayable, keepEntries: false);
        return replay.Query(statements =>
        {
            var attach = statements("ATTACH DATABASE $path AS stored", ["$path"]);
            attach.Parameters[0].Value = Path.Combine(vault.DataDirectory, Vault.CatalogFile);
            attach.ExecuteNonQuery();
            long Count(string query) => (long)statements($"SELECT COUNT(*) FROM ({query})", []).ExecuteScalar()!;
            var differences = new List<Difference>();
            foreach (var table in CatalogProjection.DerivedTables)
            {
                var missing = $"SELECT * FROM main.{table} EXCEPT SELECT * FROM stored.{table}";
                var forged = $"SELECT * FROM stored.{table} EXCEPT SELECT * FROM main.{table}";
                var (missingRows, forgedRows) = (Count(missing), Count(forged));
                if (missingRows + forgedRows > 0)
                {
                    differences.Add(new Difference(table, missingRows, forgedRows,
                        missingRows > 0 ? Example(statements(missing + " LIMIT 1", [])) : null,
                        forgedRows > 0 ? Example(statements(forged + " LIMIT 1", [])) : null));
                }
            }

            return differences;
        });
    }

    /// <summary>One row as column=value pairs, values shortened: enough for the clerk to find it.</summary>
    private static string Example(SqliteCommand command)
    {
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
