using Microsoft.Data.Sqlite;

namespace EvidenceVault.Custody.Tests.Catalog;

public sealed class RebuildCatalogTests : IDisposable
{
    private readonly TestVault _vault = new();

    public void Dispose() => _vault.Dispose();

    [Fact]
    public async Task RebuildCatalog_FromTheLedgerAlone_EqualsTheCatalogBuiltWhileIngesting()
    {
        var clips = await _vault.IngestClipsAsync(12);
        // The same bytes under a second name: one object, two custody facts.
        await _vault.IngestAsync(new byte[] { 1, 2, 3 }, "first.mp4");
        await _vault.IngestAsync(new byte[] { 1, 2, 3 }, "second-name.mp4", device: "Z9Y8X7W");
        var before = Dump();
        before.Should().Contain(row => row.Contains("custody_facts=2", StringComparison.Ordinal));

        _vault.Sql("DELETE FROM clip_custody WHERE idx % 2 = 0");
        _vault.Sql("UPDATE clip SET size = 0");
        Dump().Should().NotEqual(before);

        _vault.Vault.RebuildCatalog().Should().Be(_vault.Vault.Ledger.Size);

        Dump().Should().Equal(before);
        clips.Should().HaveCount(12);
    }

    private List<string> Dump()
    {
        var rows = new List<string>();
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_vault.Directory, Vault.CatalogFile)};Pooling=false");
        connection.Open();
        foreach (var table in new[] { "clip", "clip_custody" })
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM {table} ORDER BY 1";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                rows.Add(table + ": " + string.Join(", ", Enumerable.Range(0, reader.FieldCount).Select(i => $"{reader.GetName(i)}={reader.GetValue(i)}")));
            }
        }

        return rows;
    }
}
