namespace EvidenceVault.Tests;

/// <summary>What a database administrator can do to a vault's catalog behind the application's back: plain SQL.</summary>
internal static class CatalogSql
{
    public static object? Run(string dataDirectory, string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dataDirectory, "catalog.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
