using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Merkle;
using EvidenceVault.Custody.Verification;
using Microsoft.Data.Sqlite;

namespace EvidenceVault.Custody.Tests.Verification;

/// <summary>What a database administrator or an intruder with file access would try; each must be caught and named.</summary>
public sealed class VaultTamperTests : IDisposable
{
    private readonly TestVault _vault = new();

    public void Dispose() => _vault.Dispose();

    private async Task<VerificationReport> VerifyAsync(bool objects = false)
    {
        _vault.Reopen();
        return await VaultVerifier.VerifyAsync(_vault.Vault, objects);
    }

    [Fact]
    public async Task Verify_UntouchedVault_Holds()
    {
        await _vault.IngestClipsAsync(20);
        var report = await VerifyAsync(objects: true);
        report.Problems.Should().BeEmpty();
        report.Entries.Should().Be(21);
        report.ObjectsChecked.Should().Be(20);
        report.EntriesAfterLastCheckpoint.Should().Be(0);
    }

    [Fact]
    public async Task Triggers_UpdateOrDeleteOfCustodyRows_AreRefusedWithAClearMessage()
    {
        await _vault.IngestClipsAsync(3);
        foreach (var sql in new[]
        {
            "UPDATE ledger_entry SET actor = 'someone' WHERE idx = 1",
            "DELETE FROM ledger_entry WHERE idx = 3",
            "DELETE FROM checkpoint",
            "UPDATE merkle_node SET hash = x'00' WHERE level = 0 AND idx = 0",
            "DELETE FROM ledger_subject",
        })
        {
            var act = () => _vault.Sql(sql);
            act.Should().Throw<SqliteException>().WithMessage("*append-only*", sql);
        }

        (await VerifyAsync()).Ok.Should().BeTrue();
    }

    [Fact]
    public async Task Verify_LedgerRowEditedAfterDroppingTheTrigger_NamesTheEntry()
    {
        await _vault.IngestClipsAsync(10);
        var original = _vault.Vault.Ledger.Read(4);
        var forged = original with { Payload = original.Payload.Select(b => b == (byte)'M' ? (byte)'X' : b).ToArray() };
        _vault.Sql("DROP TRIGGER ledger_entry_no_update");
        _vault.Sql("UPDATE ledger_entry SET entry = $e WHERE idx = 4", ("$e", LedgerEntryCodec.Encode(forged)));

        var report = await VerifyAsync();

        report.Ok.Should().BeFalse();
        report.Problems[0].Should().StartWith("ledger entry 4 was changed");
        report.Problems.Should().Contain(p => p.StartsWith("Merkle node (0, 4) does not match", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_LedgerRowAndTreeBothRewritten_FailsOnTheSignedCheckpoint()
    {
        await _vault.IngestClipsAsync(8);
        // The newest clip entry: no later entry links to it, so only the tree and the checkpoint can tell.
        const int Forged = 8;
        var original = _vault.Vault.Ledger.Read(Forged);
        var forgedBytes = LedgerEntryCodec.Encode(original with { Reason = "nothing to see" });
        _vault.Sql("DROP TRIGGER ledger_entry_no_update");
        _vault.Sql("DROP TRIGGER merkle_node_no_update");
        _vault.Sql("UPDATE ledger_entry SET entry = $e WHERE idx = $i", ("$e", forgedBytes), ("$i", Forged));
        // A thorough forger also recomputes every stored node above the changed leaf.
        var tree = new MerkleTree();
        foreach (var entry in _vault.Vault.Ledger.Entries())
        {
            tree.Append(MerkleHash.Leaf(entry.Index == Forged ? forgedBytes : LedgerEntryCodec.Encode(entry)));
        }

        for (var level = 0; level < 4; level++)
        {
            for (long i = 0; i < (tree.Size >> level); i++)
            {
                _vault.Sql("UPDATE merkle_node SET hash = $h WHERE level = $l AND idx = $i", ("$h", tree.PerfectNode(level, i).ToArray()), ("$l", level), ("$i", i));
            }
        }

        var report = await VerifyAsync();

        report.Ok.Should().BeFalse();
        report.Problems[0].Should().MatchRegex("checkpoint [0-9]+: its signed root does not match");
    }

    [Fact]
    public async Task Verify_NewestRowsAndTheirCheckpointRowsDeleted_NamesThePublishedCheckpoint()
    {
        await _vault.IngestClipsAsync(5);
        var keep = _vault.Vault.Ledger.Size;
        await _vault.IngestClipsAsync(5, seed: 2);
        var newest = _vault.Vault.Ledger.Size;
        foreach (var table in new[] { "ledger_entry", "ledger_subject", "merkle_node", "checkpoint" })
        {
            _vault.Sql($"DROP TRIGGER {table}_no_delete");
        }

        _vault.Sql("DELETE FROM ledger_entry WHERE idx >= $k", ("$k", keep));
        _vault.Sql("DELETE FROM ledger_subject WHERE idx >= $k", ("$k", keep));
        _vault.Sql("DELETE FROM merkle_node WHERE ((idx + 1) << level) > $k", ("$k", keep));
        _vault.Sql("DELETE FROM checkpoint WHERE size > $k", ("$k", keep));

        var report = await VerifyAsync();

        report.Ok.Should().BeFalse();
        report.Problems.Should().Contain(p => p.Contains($"published checkpoint {newest}") && p.Contains("no row in the catalog"));
    }

    [Fact]
    public async Task Verify_OneByteFlippedInAStoredObject_NamesTheObject()
    {
        var clips = await _vault.IngestClipsAsync(4);
        var path = ((Custody.Storage.FileSystemObjectStore)_vault.Vault.Objects).PathOf(clips[2].Sha256);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(path, bytes);

        (await VerifyAsync(objects: false)).Ok.Should().BeTrue("without --objects the bytes are not re-hashed");
        var report = await VerifyAsync(objects: true);

        report.Ok.Should().BeFalse();
        report.Problems[0].Should().Contain($"object {clips[2].Sha256} is damaged");
    }

    [Fact]
    public async Task Verify_PublishedCheckpointFileDeleted_NamesTheCheckpoint()
    {
        await _vault.IngestClipsAsync(3);
        var size = _vault.Vault.Ledger.Size;
        var file = Path.Combine(((Custody.Storage.FileSystemObjectStore)_vault.Vault.Objects).Root, "checkpoints", size.ToString("D20", System.Globalization.CultureInfo.InvariantCulture));
        File.Exists(file).Should().BeTrue();
        File.Delete(file);

        var report = await VerifyAsync();

        report.Ok.Should().BeFalse();
        report.Problems[0].Should().Be($"checkpoint {size} was never published or its published file was deleted from the object store");
    }

    [Fact]
    public async Task Verify_ObjectRemovedFromTheStore_NamesTheMissingClip()
    {
        var clips = await _vault.IngestClipsAsync(2);
        File.Delete(((Custody.Storage.FileSystemObjectStore)_vault.Vault.Objects).PathOf(clips[0].Sha256));

        var report = await VerifyAsync();

        report.Problems.Should().Contain($"object {clips[0].Sha256} is in custody but missing from the store");
    }

    [Fact]
    public async Task Verify_SubjectIndexRowDeleted_IsCaught()
    {
        var clips = await _vault.IngestClipsAsync(3);
        _vault.Sql("DROP TRIGGER ledger_subject_no_delete");
        _vault.Sql("DELETE FROM ledger_subject WHERE subject = $s", ("$s", Subjects.Clip(clips[1].Sha256)));

        var report = await VerifyAsync();

        report.Problems.Should().ContainMatch($"*{clips[1].Sha256}*");
    }
}
