using Npgsql;

namespace EvidenceVault.Tests;

/// <summary>
/// A real PostgreSQL (Debian's postgresql) on 127.0.0.1 for the test run (tests/infra/postgres.sh),
/// started once for the collection and stopped at its end. Each test gets a fresh database whose
/// schema the owner role creates; the tests connect as the application role, as the services do.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "ev-pg-" + Guid.NewGuid().ToString("N")[..8]);
    private int _databases;

    public PostgresServer()
    {
        var port = Tools.FreePort();
        Tools.Result result;
        try
        {
            result = Tools.Run(Script, ["start", _directory, port.ToString(System.Globalization.CultureInfo.InvariantCulture)], timeout: TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException)
        {
            // pg_ctl had started the server as a daemon: killing the script leaves it running.
            Dispose();
            throw;
        }

        if (result.ExitCode != 0)
        {
            Dispose();
            throw new InvalidOperationException($"PostgreSQL did not start: {result.Error}");
        }

        var parts = result.Output.Trim().Split(' ');
        (Host, Port, Password) = (parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), parts[2]);
    }

    public string Host { get; }

    public int Port { get; }

    public string Password { get; }

    private static string Script => Path.Combine(Tools.RepoRoot, "tests", "infra", "postgres.sh");

    public string ConnectionString(string role, string database) =>
        new NpgsqlConnectionStringBuilder { Host = Host, Port = Port, Username = role, Password = Password, Database = database, Pooling = true, MaxPoolSize = 20 }.ConnectionString;

    /// <summary>
    /// A new, empty database with the ledger schema, made as a deployment makes it: the shipped
    /// <c>custody database migrate</c> as <c>./build.sh publish</c> installs it, connecting as the owner role; returns its name.
    /// </summary>
    public string NewDatabase()
    {
        var name = NewEmptyDatabase();
        var migrate = Tools.Published("Custody.Cli", "custody", ["database", "migrate", "--connection", ConnectionString("ev_owner", name)]);
        migrate.ExitCode.Should().Be(0, migrate.Error);
        return name;
    }

    /// <summary>A new database owned by the owner role, without the ledger schema; returns its name.</summary>
    public string NewEmptyDatabase()
    {
        var name = $"ev_test_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..40];
        using var admin = NpgsqlDataSource.Create(ConnectionString("ev_owner", "evidencevault"));
        using var command = admin.CreateCommand($"CREATE DATABASE {name} OWNER ev_owner");
        command.ExecuteNonQuery();
        return name;
    }

    /// <summary>A fast restart (open connections are cut), on the same port and data.</summary>
    public void Restart()
    {
        var result = Tools.Run(Script, ["restart", _directory], timeout: TimeSpan.FromSeconds(60));
        result.ExitCode.Should().Be(0, result.Error);
    }

    public void Dispose()
    {
        Stop();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private void Stop() => Tools.Run(Script, ["stop", _directory]);

}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
