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
    public void RoleGrant_WrongKeyFileInTheVault_ExitsOneAndCommitsNothing()
    {
        Run("deviceagent", "ingest", Path.Combine(_work, "camera"), "--data", Data).ExitCode.Should().Be(0);
        var entries = Run("custody", "log", "--data", Data, "--json").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        // Another vault's key in this vault's key file: nothing it would sign may be written first.
        File.WriteAllText(Data + ".signing-key", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));

        var grant = Run("custody", "role", "grant", "--data", Data, "--user", "mallory", "--role", "agency-head", "--reason", "test", "--by", "admin");

        grant.ExitCode.Should().Be(1, grant.Output);
        grant.Error.Should().Contain(Data + ".signing-key");
        var log = Run("custody", "log", "--data", Data, "--json").Output;
        log.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(entries, "a command that fails commits nothing");
        log.Should().NotContain("mallory");
    }

    [Fact]
    public void Verify_RoleGrantRowForgedWithSql_IsNamedAndRebuildCatalogSaysWhatItReplaced()
    {
        Run("deviceagent", "ingest", Path.Combine(_work, "camera"), "--data", Data).ExitCode.Should().Be(0);
        // The administrator's grant: a row, with no entry behind it.
        Sql("INSERT INTO role_grant VALUES('mallory', 'agency-head', 2)");

        var verify = Run("custody", "verify", "--data", Data);
        var rebuild = Run("custody", "rebuild-catalog", "--data", Data);
        var after = Run("custody", "verify", "--data", Data);

        verify.ExitCode.Should().Be(1, verify.Output);
        verify.Output.Should().Contain("derived table role_grant differs from a replay of the ledger").And.Contain("account=mallory");
        rebuild.Output.Should().Contain("REPLACED: derived table role_grant");
        after.ExitCode.Should().Be(0, after.Output);
    }

    [Fact]
    public void Verify_TimelineRowEditedWithSql_IsNamed()
    {
        Run("deviceagent", "ingest", Path.Combine(_work, "camera"), "--data", Data).ExitCode.Should().Be(0);
        // A shorter clip on the timeline would hide an interruption from the court's manifest and the deadlines.
        Sql("UPDATE clip_timeline SET length_ns = 1 WHERE idx = 1");

        var verify = Run("custody", "verify", "--data", Data, "--json");

        verify.ExitCode.Should().Be(1);
        JsonDocument.Parse(verify.Output).RootElement.GetProperty("problems").EnumerateArray().Select(p => p.GetString())
            .Should().Contain(p => p!.StartsWith("derived table clip_timeline differs", StringComparison.Ordinal));
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

    [Fact]
    public void Verify_TextWhereAnEntrysBytesBelong_IsANamedFindingNotACrash()
    {
        Run("deviceagent", "ingest", Path.Combine(_work, "camera"), "--data", Data).ExitCode.Should().Be(0);
        Sql("DROP TRIGGER IF EXISTS ledger_entry_no_update; UPDATE ledger_entry SET entry = 'garbage' WHERE idx = 1;");

        var result = Run("custody", "verify", "--data", Data);

        result.ExitCode.Should().Be(1, result.Output + result.Error);
        result.Output.Should().Contain("ledger entry 1").And.Contain("TEXT");
    }

    [Fact]
    public void RebuildCatalog_EntryWhosePayloadIsNotJson_IsNamedAndTheRestReplayed()
    {
        Run("deviceagent", "ingest", Path.Combine(_work, "camera"), "--data", Data).ExitCode.Should().Be(0);
        var clips = Run("custody", "clips", "--data", Data, "--json").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        var bytes = (byte[])SqlScalar("SELECT entry FROM ledger_entry WHERE idx = 1")!;
        var forged = Custody.Ledger.LedgerEntryCodec.Encode(Custody.Ledger.LedgerEntryCodec.Decode(bytes) with { Payload = "not json"u8.ToArray() });
        Sql("DROP TRIGGER IF EXISTS ledger_entry_no_update;");
        SqlScalar("UPDATE ledger_entry SET entry = $p WHERE idx = 1", forged);

        var result = Run("custody", "rebuild-catalog", "--data", Data);

        result.ExitCode.Should().Be(1, result.Output + result.Error);
        result.Output.Should().Contain("NOT REPLAYED: ledger entry 1");
        Run("custody", "clips", "--data", Data, "--json").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(clips - 1, "every other entry is replayed");
    }

    private void Sql(string sql) => SqlScalar(sql);

    private object? SqlScalar(string sql, byte[]? parameter = null)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(Data, Vault.CatalogFile)};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        if (parameter is not null)
        {
            command.Parameters.AddWithValue("$p", parameter);
        }

        return command.ExecuteScalar();
    }

    private void ForgeEntryAndRecomputeTree(long index)
    {
        var entry = (byte[])SqlScalar($"SELECT entry FROM ledger_entry WHERE idx = {index}")!;
        var forged = Custody.Ledger.LedgerEntryCodec.Encode(Custody.Ledger.LedgerEntryCodec.Decode(entry) with { Reason = "forged by the administrator" });
        Sql("DROP TRIGGER IF EXISTS ledger_entry_no_update;");
        SqlScalar($"UPDATE ledger_entry SET entry = $p WHERE idx = {index}", forged);
        RecomputeTree();
    }

    /// <summary>What an administrator with the schema can do: every tree node recomputed from the rows as they now are.</summary>
    private void RecomputeTree()
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(Data, Vault.CatalogFile)};Pooling=False");
        connection.Open();
        using (var drop = connection.CreateCommand())
        {
            drop.CommandText = "DROP TRIGGER IF EXISTS merkle_node_no_update; DROP TRIGGER IF EXISTS merkle_node_no_delete; DELETE FROM merkle_node;";
            drop.ExecuteNonQuery();
        }

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
    public void Append_AfterABackdatedEntryInsertedWithItsTreeNodes_SignsNoCheckpointOverIt()
    {
        Run("deviceagent", "ingest", Path.Combine(_work, "camera"), "--data", Data).ExitCode.Should().Be(0);
        var size = (long)SqlScalar("SELECT COUNT(*) FROM ledger_entry")!;
        var checkpoints = (long)SqlScalar("SELECT COUNT(*) FROM checkpoint")!;
        var last = Custody.Ledger.LedgerEntryCodec.Decode((byte[])SqlScalar($"SELECT entry FROM ledger_entry WHERE idx = {size - 1}")!);
        // A well-formed grant, a day older than the entry before it, inserted with plain SQL (triggers in place: they only stop UPDATE and DELETE).
        var forged = new Custody.Ledger.LedgerEntry(size, last.Time - NodaTime.Duration.FromDays(1), "RoleGranted", "user:admin", [], "appointed",
            System.Text.Encoding.UTF8.GetBytes("""{"user":"mallory","role":"agency-head"}"""), new byte[16]);
        var bytes = Custody.Ledger.LedgerEntryCodec.Encode(forged);
        SqlScalar($"INSERT INTO ledger_entry(idx, time_ns, type, actor, entry) VALUES ({size}, {(forged.Time - NodaTime.NodaConstants.UnixEpoch).ToInt64Nanoseconds()}, 'RoleGranted', 'user:admin', $p)", bytes);
        RecomputeTree();

        var next = Run("custody", "role", "grant", "--data", Data, "--user", "clerk", "--role", "evidence-clerk", "--reason", "appointed", "--by", "admin");

        next.ExitCode.Should().Be(1, next.Output);
        next.Error.Should().Contain("Refusing to sign a checkpoint").And.Contain($"ledger entry {size}");
        ((long)SqlScalar("SELECT COUNT(*) FROM checkpoint")!).Should().Be(checkpoints, "no checkpoint is signed over the forged entry");
    }

    [Fact]
    public void Verify_WellFormedEntryInsertedWithSqlAndItsTreeNodes_IsNamedAndNoCheckpointCoversIt()
    {
        // Issue 18 §5: a grant dated after the entry before it, well formed in every respect, its
        // tree nodes recomputed: only entry authentication with a key outside the database tells it
        // from an entry the vault wrote.
        Run("deviceagent", "ingest", Path.Combine(_work, "camera"), "--data", Data).ExitCode.Should().Be(0);
        var key = Run("custody", "key", "--data", Data).Output.Split('\n')[0].Trim();
        var size = ForgeGrantEntry();

        var verify = Run("custody", "verify", "--data", Data, "--key", key, "--json");
        var grant = Run("custody", "role", "grant", "--data", Data, "--user", "clerk", "--role", "evidence-clerk", "--reason", "appointed", "--by", "admin");
        var problems = JsonDocument.Parse(verify.Output).RootElement.GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToList();

        verify.ExitCode.Should().Be(1, verify.Output);
        problems.Should().Contain(p => p.Contains($"ledger entry {size}", StringComparison.Ordinal) && p.Contains("not sealed", StringComparison.Ordinal));
        grant.ExitCode.Should().Be(1, grant.Output);
        grant.Error.Should().Contain("Refusing to sign a checkpoint").And.Contain($"ledger entry {size}").And.Contain("not sealed");
        ((long)SqlScalar($"SELECT MAX(size) FROM checkpoint")!).Should().BeLessThanOrEqualTo(size, "no checkpoint covers the forged entry");
    }

    [Fact]
    public void Verify_ForgedEntryWithASealRowOfItsOwn_IsNamed()
    {
        // The administrator adds a seal row too, signed with a key of his own: the seal must verify under the vault's key.
        Run("deviceagent", "ingest", Path.Combine(_work, "camera"), "--data", Data).ExitCode.Should().Be(0);
        var size = ForgeGrantEntry();
        var leaf = MerkleHash.Leaf((byte[])SqlScalar($"SELECT entry FROM ledger_entry WHERE idx = {size}")!);
        var origin = Run("custody", "key", "--data", Data).Output.Split('\n')[0].Trim().Split('+')[0];
        var mallory = new NoteSigningKey(origin, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var seal = Custody.Ledger.EntrySeal.Create(mallory, "dock-01", size, [leaf]);
        SqlScalar($"INSERT INTO entry_seal(last_idx, first_idx, node, signature) VALUES ({size}, {size}, 'dock-01', $p)", seal.Signature);

        var verify = Run("custody", "verify", "--data", Data);

        verify.ExitCode.Should().Be(1, verify.Output);
        verify.Output.Should().Contain($"ledger entry {size}").And.Contain("seal").And.Contain("does not verify");
    }

    /// <summary>Inserts a well-formed RoleGranted entry after the last one, dated after it, with its tree nodes; returns its index.</summary>
    private long ForgeGrantEntry()
    {
        var size = (long)SqlScalar("SELECT COUNT(*) FROM ledger_entry")!;
        var last = Custody.Ledger.LedgerEntryCodec.Decode((byte[])SqlScalar($"SELECT entry FROM ledger_entry WHERE idx = {size - 1}")!);
        var forged = new Custody.Ledger.LedgerEntry(size, last.Time + NodaTime.Duration.FromSeconds(1), "RoleGranted", "user:admin", [], "appointed",
            System.Text.Encoding.UTF8.GetBytes("""{"user":"mallory","role":"agency-head"}"""), new byte[16]);
        SqlScalar($"INSERT INTO ledger_entry(idx, time_ns, type, actor, entry) VALUES ({size}, {(forged.Time - NodaTime.NodaConstants.UnixEpoch).ToInt64Nanoseconds()}, 'RoleGranted', 'user:admin', $p)",
            Custody.Ledger.LedgerEntryCodec.Encode(forged));
        RecomputeTree();
        return size;
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
