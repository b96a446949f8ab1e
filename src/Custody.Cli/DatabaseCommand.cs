using EvidenceVault.Custody.Catalog;
using EvidenceVault.Custody.Hosting;

namespace EvidenceVault.Custody.Cli;

/// <summary>
/// <c>custody database migrate</c>: create or upgrade the deployment's PostgreSQL schema, connecting
/// as the schema owner (<c>--connection</c> or <c>EVIDENCEVAULT_POSTGRES_OWNER</c>) and granting the
/// application role what the services need; or, with <c>--data</c>, open (and so migrate) an embedded
/// vault. Prints the schema version it left.
/// </summary>
internal static class DatabaseCommand
{
    public static int Run(Arguments arguments)
    {
        string store;
        int version;
        if (arguments.Value("data") is { } data)
        {
            if (arguments.Value("connection") is not null)
            {
                throw new UsageException("--data (an embedded vault) and --connection (PostgreSQL) are two different databases: give one.");
            }

            using var vault = Vault.Open(data, Output.Clock, VaultOptions.FromEnvironment());
            (store, version) = ("sqlite", vault.SchemaVersion);
        }
        else
        {
            var connection = arguments.Value("connection")
                ?? (Environment.GetEnvironmentVariable("EVIDENCEVAULT_POSTGRES_OWNER") is { Length: > 0 } fromEnvironment ? fromEnvironment : null)
                ?? throw new UsageException("The schema owner's connection string comes from --connection or EVIDENCEVAULT_POSTGRES_OWNER (or give --data DIR for an embedded vault).");
            try
            {
                using var owner = Npgsql.NpgsqlDataSource.Create(connection);
                (store, version) = ("postgresql", PostgresSchema.Migrate(owner, arguments.Value("app-role") ?? "ev_app"));
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }
            catch (Npgsql.NpgsqlException e)
            {
                throw new VaultException($"PostgreSQL: {e.Message}", e);
            }
        }

        Console.WriteLine(arguments.Has("json")
            ? System.Text.Json.JsonSerializer.Serialize(new { store, schemaVersion = version }, Output.JsonLine)
            : $"{store} schema version {version}");
        return 0;
    }
}
