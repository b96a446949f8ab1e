using System.Text.Json;
using EvidenceVault.Custody.Catalog;
using EvidenceVault.Custody.Checkpoints;
using EvidenceVault.Custody.Ledger;
using NodaTime;
using NodaTime.Testing;
using Npgsql;

namespace EvidenceVault.Custody.Tests.Cli;

/// <summary>
/// <c>custody database migrate</c> against a real PostgreSQL: the command a DBA runs once per
/// release, as the schema owner, before the nodes (connecting as the application role) start.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class DatabaseMigrateTests(PostgresServer server) : IDisposable
{
    private static readonly NoteSigningKey Key = new("evidencevault.test/migrate", new byte[32]);
    private readonly FakeClock _clock = new(Instant.FromUtc(2026, 11, 23, 1, 0), Duration.FromMilliseconds(1));
    private readonly List<NpgsqlDataSource> _sources = [];

    public void Dispose()
    {
        foreach (var source in _sources)
        {
            source.Dispose();
        }
    }

    [Fact]
    public void Migrate_EmptyDatabase_CreatesTheSchemaTheNodesNeedAndPrintsItsVersion()
    {
        var database = server.NewEmptyDatabase();
        var application = Source("ev_app", database);
        var before = () => PostgresSchema.RequireCurrent(application);
        before.Should().Throw<VaultException>().WithMessage("*has no EvidenceVault schema*custody database migrate*");

        var migrate = Tools.Published("Custody.Cli", "custody", ["database", "migrate", "--connection", server.ConnectionString("ev_owner", database), "--json"]);

        migrate.ExitCode.Should().Be(0, migrate.Error);
        var report = JsonDocument.Parse(migrate.Output).RootElement;
        report.GetProperty("store").GetString().Should().Be("postgresql");
        report.GetProperty("schemaVersion").GetInt32().Should().Be(PostgresSchema.Version);
        PostgresSchema.RequireCurrent(application);
        var ledger = new PostgresLedger(application, _clock);
        ledger.Append([Fact()], new EntrySealer(Key, "node-1")).Should().ContainSingle();
        ledger.SignCheckpoint(Key).Should().NotBeNull();

        // Run again (every release runs it), with the owner's connection from the environment: nothing changes.
        var again = Tools.Published("Custody.Cli", "custody", ["database", "migrate"], new Dictionary<string, string> { ["EVIDENCEVAULT_POSTGRES_OWNER"] = server.ConnectionString("ev_owner", database) });
        again.ExitCode.Should().Be(0, again.Error);
        again.Output.Trim().Should().Be($"postgresql schema version {PostgresSchema.Version}");
        ledger.Size.Should().Be(1);
    }

    [Fact]
    public void Migrate_Version1Database_AddsEntrySealsAndKeepsEveryEntry()
    {
        // Version 1 (before issue 18) had no entry_seal table.
        var database = server.NewDatabase();
        var application = Source("ev_app", database);
        var ledger = new PostgresLedger(application, _clock);
        var written = ledger.Append([Fact(), Fact(), Fact()], new EntrySealer(Key, "node-1"));
        Owner(database, "DROP TABLE entry_seal; DELETE FROM schema_version; INSERT INTO schema_version VALUES (1);");
        var old = () => PostgresSchema.RequireCurrent(application);
        old.Should().Throw<VaultException>().WithMessage($"*version 1; this build needs {PostgresSchema.Version}*custody database migrate*");

        var migrate = Tools.Published("Custody.Cli", "custody", ["database", "migrate", "--connection", server.ConnectionString("ev_owner", database)]);

        migrate.ExitCode.Should().Be(0, migrate.Error);
        migrate.Output.Trim().Should().Be($"postgresql schema version {PostgresSchema.Version}");
        PostgresSchema.RequireCurrent(application);
        ledger.Entries().Should().BeEquivalentTo(written);
        ledger.Append([Fact()], new EntrySealer(Key, "node-1")).Single().Index.Should().Be(3);
        var tamper = () => Owner(database, "DELETE FROM entry_seal");
        tamper.Should().Throw<PostgresException>().WithMessage("*append-only*", "the new table is guarded like the others");
    }

    [Fact]
    public void Migrate_DatabaseNewerThanThisBuild_IsRefusedAndLeftAlone()
    {
        var database = server.NewDatabase();
        Owner(database, "INSERT INTO schema_version VALUES (99)");

        var migrate = Tools.Published("Custody.Cli", "custody", ["database", "migrate", "--connection", server.ConnectionString("ev_owner", database)]);

        migrate.ExitCode.Should().Be(1);
        migrate.Error.Should().Contain("version 99").And.Contain("Upgrade EvidenceVault");
        var node = () => PostgresSchema.RequireCurrent(Source("ev_app", database));
        node.Should().Throw<VaultException>().WithMessage("*version 99*Upgrade EvidenceVault*");
    }

    [Fact]
    public void Migrate_WithoutAnOwnerConnection_IsAUsageErrorNamingWhereItComesFrom()
    {
        var migrate = Tools.Published("Custody.Cli", "custody", ["database", "migrate"], new Dictionary<string, string> { ["EVIDENCEVAULT_POSTGRES_OWNER"] = "" });

        migrate.ExitCode.Should().Be(2);
        migrate.Error.Should().Contain("--connection").And.Contain("EVIDENCEVAULT_POSTGRES_OWNER");
    }

    private NpgsqlDataSource Source(string role, string database)
    {
        var source = NpgsqlDataSource.Create(server.ConnectionString(role, database));
        _sources.Add(source);
        return source;
    }

    private void Owner(string database, string sql)
    {
        using var command = Source("ev_owner", database).CreateCommand(sql);
        command.ExecuteNonQuery();
    }

    private static NewEntry Fact() => new("ClipViewed", "device:A1B2C3D", ["clip:a"], "migrate", """{"n":1}"""u8.ToArray());
}
