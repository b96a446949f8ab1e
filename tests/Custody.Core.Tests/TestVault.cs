using MediatR;
using EvidenceVault.Custody.Ingest;
using EvidenceVault.Custody.Ledger;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Testing;

namespace EvidenceVault.Custody.Tests;

/// <summary>A real embedded vault in a fresh temporary folder (real SQLite file, real fsync paths), removed afterwards.</summary>
public sealed class TestVault : IDisposable
{
    /// <param name="setUpAt">When the vault is set up (default 2026-11-23 02:00 UTC): entries are never dated before it, so a scenario that docks earlier sets it up earlier.</param>
    public TestVault(string? policyProfile = null, Instant? setUpAt = null)
    {
        Directory = Path.Combine(Path.GetTempPath(), "ev-test-" + Guid.NewGuid().ToString("N"));
        Clock = new FakeClock(setUpAt ?? Instant.FromUtc(2026, 11, 23, 2, 0), Duration.FromMilliseconds(5));
        Vault = Vault.Create(Directory, Clock, new VaultOptions { Station = "dock-01", Origin = "evidencevault.test/vault", PolicyProfile = policyProfile });
    }

    public string Directory { get; }

    public FakeClock Clock { get; }

    public Vault Vault { get; private set; }

    public async Task<ClipIngestResult> IngestAsync(byte[] content, string fileName, string? device = "A1B2C3D")
    {
        using var services = new ServiceCollection().AddCustody(Vault).BuildServiceProvider();
        using var source = new MemoryStream(content);
        return await services.GetRequiredService<IMediator>().Send(new IngestClip(source, new ClipFacts { FileName = fileName, DeviceSerial = device, OfficerId = "123456" }));
    }

    public async Task<IReadOnlyList<ClipIngestResult>> IngestClipsAsync(int count, int seed = 1)
    {
        var random = new Random(seed);
        var results = new List<ClipIngestResult>();
        for (var i = 0; i < count; i++)
        {
            var bytes = new byte[1000 + random.Next(5000)];
            random.NextBytes(bytes);
            results.Add(await IngestAsync(bytes, $"A1B2C3D_123456_20261123090000_{i:D4}.MP4"));
        }

        await Vault.CheckpointAsync();
        return results;
    }

    /// <summary>What a database administrator could do behind the vault's back: raw SQL on the catalog file.</summary>
    public void Sql(string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(Directory, Vault.CatalogFile)};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        command.ExecuteNonQuery();
    }

    /// <summary>A copy of the whole vault folder as a backup would take it (the vault closed meanwhile).</summary>
    public void CopyTo(string target)
    {
        Vault.Dispose();
        CopyFolder(Directory, target);
        Vault = Vault.Open(Directory, Clock);
    }

    /// <summary>Puts an older copy of the folder back, as whoever holds the server can.</summary>
    public void RestoreFrom(string copy)
    {
        Vault.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
        CopyFolder(copy, Directory);
        Vault = Vault.Open(Directory, Clock);
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in System.IO.Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    public void Reopen()
    {
        Vault.Dispose();
        Vault = Vault.Open(Directory, Clock);
    }

    /// <summary>The signing key, kept beside the vault folder (never inside it).</summary>
    public string KeyFile => Directory + ".signing-key";

    public void Dispose()
    {
        Vault.Dispose();
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }

        File.Delete(KeyFile);
    }
}
