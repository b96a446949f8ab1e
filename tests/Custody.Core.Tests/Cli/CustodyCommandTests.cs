using System.Text.Json;
using EvidenceVault.Custody.Checkpoints;
using EvidenceVault.Custody.Merkle;

namespace EvidenceVault.Custody.Tests.Cli;

/// <summary>The operator commands as a script would run them: real processes, exit codes and JSON fields.</summary>
public sealed class CustodyCommandTests : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "ev-cli-" + Guid.NewGuid().ToString("N"));

    public CustodyCommandTests()
    {
        Directory.CreateDirectory(Path.Combine(_work, "camera", "DCIM"));
        var random = new Random(3);
        for (var i = 0; i < 3; i++)
        {
            var bytes = new byte[10_000 * (i + 1)];
            random.NextBytes(bytes);
            File.WriteAllBytes(Path.Combine(_work, "camera", "DCIM", $"clip{i}.mp4"), bytes);
        }
    }

    private string Data => Path.Combine(_work, "data");

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void IngestThenVerify_FolderOfClips_ExitsZeroAndReportsEveryClip()
    {
        var ingest = Run("deviceagent", "ingest", Path.Combine(_work, "camera"), "--data", Data, "--json");
        ingest.ExitCode.Should().Be(0, ingest.Error);
        var clips = ingest.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        clips.Should().HaveCount(3);
        clips.Should().OnlyContain(c => c.GetProperty("status").GetString() == "in-custody" && c.GetProperty("sha256").GetString()!.Length == 64);
        clips.Select(c => c.GetProperty("fileName").GetString()).Should().Equal("DCIM/clip0.mp4", "DCIM/clip1.mp4", "DCIM/clip2.mp4");

        var verify = Run("custody", "verify", "--data", Data, "--objects", "--json");
        verify.ExitCode.Should().Be(0, verify.Output);
        var report = JsonDocument.Parse(verify.Output).RootElement;
        report.GetProperty("ok").GetBoolean().Should().BeTrue();
        report.GetProperty("entries").GetInt64().Should().Be(4);
        report.GetProperty("objectsChecked").GetInt64().Should().Be(3);
    }

    [Fact]
    public void Verify_NoVaultThere_IsOneLineAndExitOne()
    {
        var result = Run("custody", "verify", "--data", Path.Combine(_work, "nothing-here"));
        result.ExitCode.Should().Be(1);
        result.Error.Trim().Split('\n').Should().ContainSingle().Which.Should().StartWith("custody: No vault at");
    }

    [Fact]
    public void Verify_CorruptCatalogFile_IsOneLineAndExitOne()
    {
        Directory.CreateDirectory(Data);
        File.WriteAllText(Path.Combine(Data, Vault.CatalogFile), "this is not a database");
        var result = Run("custody", "verify", "--data", Data);
        result.ExitCode.Should().Be(1);
        result.Error.Trim().Split('\n').Should().ContainSingle().Which.Should().Contain("not a readable vault catalog");
    }

    [Fact]
    public void Verify_PublishedCheckpointDeleted_ExitsOneAndNamesIt()
    {
        Run("deviceagent", "ingest", Path.Combine(_work, "camera"), "--data", Data).ExitCode.Should().Be(0);
        var checkpoints = Directory.GetFiles(Path.Combine(Data, "objects", "checkpoints")).Order().ToList();
        File.Delete(checkpoints[^1]);

        var result = Run("custody", "verify", "--data", Data);

        result.ExitCode.Should().Be(1);
        result.Output.Should().StartWith($"CUSTODY BROKEN: checkpoint {long.Parse(Path.GetFileName(checkpoints[^1]), System.Globalization.CultureInfo.InvariantCulture)} ");
    }

    [Fact]
    public void Proof_Json_VerifiesAgainstTheSignedCheckpointByTheDocumentedProcedure()
    {
        Run("deviceagent", "ingest", Path.Combine(_work, "camera"), "--data", Data).ExitCode.Should().Be(0);
        var key = Run("custody", "key", "--data", Data).Output.Split('\n')[0];

        var result = Run("custody", "proof", "--data", Data, "--index", "2", "--json");

        result.ExitCode.Should().Be(0, result.Error);
        var proof = JsonDocument.Parse(result.Output).RootElement;
        var checkpoint = Checkpoint.Open(proof.GetProperty("checkpoint").GetString()!, NoteVerifierKey.Parse(key), out var problem);
        checkpoint.Should().NotBeNull(problem);
        var leaf = MerkleHash.Leaf(Convert.FromHexString(proof.GetProperty("entry").GetString()!));
        leaf.ToHex().Should().Be(proof.GetProperty("leafHash").GetString());
        var path = proof.GetProperty("path").EnumerateArray().Select(p => Sha256Digest.ParseHex(p.GetString()!)).ToList();
        MerkleProofs.VerifyInclusion(leaf, 2, checkpoint!.Size, path, checkpoint.Root).Should().BeTrue();
        MerkleProofs.VerifyInclusion(leaf, 1, checkpoint.Size, path, checkpoint.Root).Should().BeFalse();
    }

    [Fact]
    public void Proof_EntryEditedAndTreeRecomputed_DoesNotVerifyAgainstTheSignedRoot()
    {
        // A database administrator edits an entry and recomputes every tree node: the stored tree is
        // consistent with itself, but not with the root the vault signed.
        Run("deviceagent", "ingest", Path.Combine(_work, "camera"), "--data", Data).ExitCode.Should().Be(0);
        var size = JsonDocument.Parse(Run("custody", "proof", "--data", Data, "--index", "0", "--json").Output).RootElement.GetProperty("treeSize").GetInt64();
        ForgeEntryAndRecomputeTree(size - 1);

        var result = Run("custody", "proof", "--data", Data, "--index", (size - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));

        result.ExitCode.Should().Be(1, result.Output);
        result.Output.Should().Contain("PROOF DOES NOT VERIFY").And.Contain("signed checkpoint").And.NotContain("proof verifies");
    }

    private void ForgeEntryAndRecomputeTree(long index)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(Data, Vault.CatalogFile)};Pooling=False");
        connection.Open();
        void Execute(string sql)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }

        Execute("DROP TRIGGER IF EXISTS ledger_entry_no_update; DROP TRIGGER IF EXISTS merkle_node_no_update; DROP TRIGGER IF EXISTS merkle_node_no_delete;");
        var entries = new List<byte[]>();
        using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT entry FROM ledger_entry ORDER BY idx";
            using var reader = read.ExecuteReader();
            while (reader.Read())
            {
                entries.Add((byte[])reader[0]);
            }
        }

        entries[(int)index] = Custody.Ledger.LedgerEntryCodec.Encode(Custody.Ledger.LedgerEntryCodec.Decode(entries[(int)index]) with { Reason = "forged by the administrator" });
        using (var update = connection.CreateCommand())
        {
            update.CommandText = "UPDATE ledger_entry SET entry = $entry WHERE idx = $idx";
            update.Parameters.AddWithValue("$entry", entries[(int)index]);
            update.Parameters.AddWithValue("$idx", index);
            update.ExecuteNonQuery();
        }

        Execute("DELETE FROM merkle_node");
        var range = new CompactRange();
        foreach (var entry in entries)
        {
            range.Append(MerkleHash.Leaf(entry), (level, at, hash) =>
            {
                using var insert = connection.CreateCommand();
                insert.CommandText = "INSERT INTO merkle_node(level, idx, hash) VALUES ($level, $idx, $hash)";
                insert.Parameters.AddWithValue("$level", level);
                insert.Parameters.AddWithValue("$idx", at);
                insert.Parameters.AddWithValue("$hash", hash.ToArray());
                insert.ExecuteNonQuery();
            });
        }
    }

    [Fact]
    public void Log_SubjectOfOneClip_ListsOnlyItsEntries()
    {
        var ingest = Run("deviceagent", "ingest", Path.Combine(_work, "camera"), "--data", Data, "--json");
        var sha = JsonDocument.Parse(ingest.Output.Split('\n')[1]).RootElement.GetProperty("sha256").GetString()!;

        var log = Run("custody", "log", "--data", Data, "--subject", sha, "--json");

        log.ExitCode.Should().Be(0);
        var entries = log.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        entries.Should().ContainSingle();
        entries[0].GetProperty("type").GetString().Should().Be("ClipIngested");
        entries[0].GetProperty("payload").GetProperty("sha256").GetString().Should().Be(sha);
    }

    [Fact]
    public void UnknownOption_IsAUsageErrorWithExitTwo()
    {
        var result = Run("custody", "verify", "--data", Data, "--objcts");
        result.ExitCode.Should().Be(2);
        result.Error.Should().StartWith("custody: Unknown option --objcts.");
    }

    private static Tools.Result Run(string tool, params string[] args) => Tools.Dotnet(tool, args);
}
