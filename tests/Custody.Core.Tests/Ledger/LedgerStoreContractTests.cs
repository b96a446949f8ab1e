using EvidenceVault.Custody.Checkpoints;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Merkle;
using EvidenceVault.Custody.Work;
using NodaTime;
using NodaTime.Testing;
using Npgsql;

namespace EvidenceVault.Custody.Tests.Ledger;

/// <summary>
/// One contract for both ledger stores, SQLite (embedded) and PostgreSQL (deployment): the same
/// entries, chains, tree, proofs and checkpoints; rows that cannot be changed; a queue that never
/// gives one job to two workers. The embedded default and the deployment must not drift apart.
/// </summary>
public abstract class LedgerStoreContractTests
{
    protected static readonly NoteSigningKey Key = new("evidencevault.test/contract", new byte[32]);

    protected static readonly EntrySealer Sealer = new(Key, "contract-node");

    protected FakeClock Clock { get; } = new(Instant.FromUtc(2026, 11, 23, 1, 0), Duration.FromMilliseconds(1));

    /// <summary>The store under test and its work queue.</summary>
    protected abstract (ILedgerStore Ledger, IWorkQueue Queue) Store { get; }

    /// <summary>A second, independent handle on the same store (another process, in a deployment).</summary>
    protected abstract ILedgerStore OpenAnother();

    /// <summary>Runs raw SQL behind the store's back as the most privileged account the deployment has; returns the error, or null if it was accepted.</summary>
    protected abstract string? Tamper(string sql);

    [Fact]
    public void Append_LinksEachSubjectToItsPreviousEntry_AndEntriesDecodeToWhatWasAppended()
    {
        var ledger = Store.Ledger;
        var b = ledger.Size;
        var first = ledger.Append([Fact("clip:a", "device:d"), Fact("clip:b", "device:d")], Sealer);
        var second = ledger.Append([Fact("clip:a", "case:1")], Sealer);
        first.Select(e => e.Index).Concat(second.Select(e => e.Index)).Should().Equal(b, b + 1, b + 2);
        var aboutA = ledger.Entries("clip:a");
        aboutA.Select(e => e.Index).Should().Equal(b, b + 2);
        var link = aboutA[1].Subjects.Single(s => s.Subject == "clip:a");
        link.PreviousIndex.Should().Be(b);
        link.PreviousLeafHash.Should().Be(MerkleHash.Leaf(LedgerEntryCodec.Encode(ledger.Read(b))));
        ledger.Read(b + 1).Subjects.Single(s => s.Subject == "device:d").PreviousIndex.Should().Be(b);
        ledger.Read(b + 2).Subjects.Single(s => s.Subject == "case:1").PreviousIndex.Should().BeNull();
        ledger.Read(b + 2).Should().BeEquivalentTo(second[0]);
        ledger.Entries().Should().HaveCount((int)b + 3);
        ledger.Size.Should().Be(b + 3);
    }

    [Fact]
    public void RootsAndProofs_AgreeWithAnIndependentTree_AndCheckpointsAreSignedOnceEachSize()
    {
        var ledger = Store.Ledger;
        var tree = new MerkleTree();
        var b = ledger.Size;
        foreach (var existing in ledger.Entries())
        {
            tree.Append(MerkleHash.Leaf(LedgerEntryCodec.Encode(existing)));
        }

        for (var batch = 0; batch < 7; batch++)
        {
            foreach (var entry in ledger.Append([.. Enumerable.Range(0, batch + 1).Select(i => Fact($"clip:{batch}-{i}"))], Sealer))
            {
                tree.Append(MerkleHash.Leaf(LedgerEntryCodec.Encode(entry)));
            }

            ledger.SignCheckpoint(Key).Should().NotBeNull();
            ledger.SignCheckpoint(Key).Should().BeNull("nothing new to cover");
        }

        var size = ledger.Size;
        size.Should().Be(b + 28);
        ledger.Root(size).Should().Be(MerkleProofs.Root(tree, size));
        for (var index = 0L; index < size; index++)
        {
            var path = ledger.InclusionProof(index, size);
            MerkleProofs.VerifyInclusion(MerkleHash.Leaf(LedgerEntryCodec.Encode(ledger.Read(index))), index, size, path, ledger.Root(size)).Should().BeTrue();
        }

        var notes = ledger.CheckpointNotes().Where(n => n.Size > b).ToList();
        notes.Select(n => n.Size - b).Should().Equal(1, 3, 6, 10, 15, 21, 28);
        ledger.LatestCheckpointNote()!.Value.Size.Should().Be(b + 28);
        for (var i = 1; i < notes.Count; i++)
        {
            var older = Checkpoint.Open(notes[i - 1].Note, Key.Verifier, out _)!;
            var newer = Checkpoint.Open(notes[i].Note, Key.Verifier, out _)!;
            MerkleProofs.VerifyConsistency(older.Size, newer.Size, older.Root, newer.Root, MerkleProofs.Consistency(ledger, older.Size, newer.Size)).Should().BeTrue();
        }
    }

    [Fact]
    public void ConcurrentAppends_FromSeveralHandles_LeaveNoGapAndNoBrokenChain()
    {
        var b = Store.Ledger.Size;
        Store.Ledger.Append([Fact("device:shared")], Sealer);
        var handles = Enumerable.Range(0, 4).Select(_ => OpenAnother()).ToList();
        Parallel.For(0, 4, h =>
        {
            for (var i = 0; i < 25; i++)
            {
                handles[h].Append([Fact("device:shared", $"clip:{h}-{i}")], Sealer);
            }
        });
        handles.ForEach(h => h.Dispose());

        var ledger = Store.Ledger;
        ledger.Size.Should().Be(b + 101);
        ledger.Entries().Select(e => e.Index).Should().Equal(Enumerable.Range(0, (int)b + 101).Select(i => (long)i));
        var chain = ledger.Entries("device:shared");
        chain.Should().HaveCount(101);
        for (var i = 1; i < chain.Count; i++)
        {
            var link = chain[i].Subjects.Single(s => s.Subject == "device:shared");
            link.PreviousIndex.Should().Be(chain[i - 1].Index);
            link.PreviousLeafHash.Should().Be(MerkleHash.Leaf(LedgerEntryCodec.Encode(chain[i - 1])));
        }

        var tree = new MerkleTree();
        foreach (var entry in ledger.Entries())
        {
            tree.Append(MerkleHash.Leaf(LedgerEntryCodec.Encode(entry)));
        }

        ledger.Root(b + 101).Should().Be(MerkleProofs.Root(tree, b + 101));
    }

    [Theory]
    [InlineData("UPDATE ledger_entry SET actor = 'user:nobody' WHERE idx = 0")]
    [InlineData("DELETE FROM ledger_entry WHERE idx = 0")]
    [InlineData("DELETE FROM ledger_subject")]
    [InlineData("UPDATE merkle_node SET hash = hash WHERE level = 0")]
    [InlineData("DELETE FROM checkpoint")]
    public void CustodyRows_CannotBeChangedOrRemoved_EvenBehindTheVaultsBack(string sql)
    {
        var entry = Store.Ledger.Append([Fact("clip:x")], Sealer)[0];
        Store.Ledger.SignCheckpoint(Key);
        var notes = Store.Ledger.CheckpointNotes();
        var refused = Tamper(sql);
        refused.Should().NotBeNull().And.Contain("append-only");
        Store.Ledger.Read(entry.Index).Should().BeEquivalentTo(entry);
        Store.Ledger.Read(0).Should().NotBeNull();
        Store.Ledger.CheckpointNotes().Should().Equal(notes);
    }

    [Fact]
    public void IngestEntries_QueueTheirProbe_AndNoJobIsClaimedTwice()
    {
        var (ledger, queue) = Store;
        for (var i = 0; i < 40; i++)
        {
            ledger.Append([Ingested($"{i:x64}")], Sealer);
        }

        ledger.Append([Ingested($"{0:x64}")], Sealer); // the same bytes again: one probe job, not two
        var claimed = new System.Collections.Concurrent.ConcurrentBag<WorkItem>();
        Parallel.For(0, 4, worker =>
        {
            while (queue.Claim($"worker-{worker}", Duration.FromMinutes(5)) is { } item)
            {
                claimed.Add(item);
                queue.Complete(item);
            }
        });

        claimed.Should().HaveCount(40);
        claimed.Select(c => c.Id).Should().OnlyHaveUniqueItems();
        claimed.Should().OnlyContain(c => c.Kind == WorkQueue.Probe);
        queue.Claim("late", Duration.FromMinutes(5)).Should().BeNull();
        queue.NextReadyIn().Should().BeNull();
    }

    [Fact]
    public void FailedJob_IsRetriedAfterItsBackoff_AndParkedAfterTheLastAttempt()
    {
        var (ledger, queue) = Store;
        ledger.Append([Ingested(new string('e', 64))], Sealer);
        for (var attempt = 1; attempt <= WorkQueue.MaxAttempts; attempt++)
        {
            var item = queue.Claim("w", Duration.FromMinutes(5));
            item.Should().NotBeNull("attempt {0} is due", attempt);
            item!.Attempts.Should().Be(attempt - 1);
            queue.Claim("other", Duration.FromMinutes(5)).Should().BeNull("the job is leased");
            var parked = queue.Fail(item, "ffprobe: truncated file");
            parked.Should().Be(attempt == WorkQueue.MaxAttempts);
            if (!parked)
            {
                queue.Claim("w", Duration.FromMinutes(5)).Should().BeNull("it waits out its backoff");
                (queue.NextReadyIn() > Duration.Zero).Should().BeTrue();
                Clock.Advance(Duration.FromMinutes(2));
            }
        }

        Clock.Advance(Duration.FromHours(1));
        queue.Claim("w", Duration.FromMinutes(5)).Should().BeNull("a parked job waits for a person");
    }

    protected static NewEntry Fact(params string[] subjects) =>
        new("ClipViewed", "device:A1B2C3D", subjects, "contract", """{"n":1}"""u8.ToArray());

    private static NewEntry Ingested(string sha) =>
        new(EntryTypes.ClipIngested, "device:A1B2C3D", [$"clip:{sha}"], "docked",
            PayloadJson.Serialize(new ClipIngestedPayload { Sha256 = sha, Size = 1, Clip = new ClipFacts { FileName = "a.MP4" } }));
}

public sealed class SqliteLedgerStoreContractTests : LedgerStoreContractTests, IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "ev-contract-" + Guid.NewGuid().ToString("N"));
    private readonly Vault _vault;
    // Vault.Create writes entry 0 (VaultCreated) and its checkpoint; the contract counts from whatever is there.
    public SqliteLedgerStoreContractTests() =>
        _vault = Vault.Create(_directory, Clock, new VaultOptions { Origin = "evidencevault.test/contract", CheckpointEvery = int.MaxValue });

    protected override (ILedgerStore Ledger, IWorkQueue Queue) Store => (_vault.Ledger, _vault.Work);

    protected override ILedgerStore OpenAnother() => _vault.OpenSecondReader();

    protected override string? Tamper(string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_directory, Vault.CatalogFile)};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        try
        {
            command.ExecuteNonQuery();
            return null;
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            return e.Message;
        }
    }

    public void Dispose()
    {
        _vault.Dispose();
        Directory.Delete(_directory, recursive: true);
        File.Delete(_directory + ".signing-key"); // kept beside the folder, never in it
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresLedgerStoreContractTests : LedgerStoreContractTests, IDisposable
{
    private readonly PostgresServer _server;
    private readonly string _database;
    private readonly NpgsqlDataSource _application;
    private readonly List<NpgsqlDataSource> _others = [];

    public PostgresLedgerStoreContractTests(PostgresServer server)
    {
        _server = server;
        _database = server.NewDatabase();
        _application = NpgsqlDataSource.Create(server.ConnectionString("ev_app", _database));
        Store = (new PostgresLedger(_application, Clock), new PostgresWorkQueue(_application, Clock));
    }

    protected override (ILedgerStore Ledger, IWorkQueue Queue) Store { get; }

    protected override ILedgerStore OpenAnother()
    {
        var source = NpgsqlDataSource.Create(_server.ConnectionString("ev_app", _database));
        _others.Add(source);
        return new PostgresLedger(source, Clock);
    }

    /// <summary>
    /// The application role has no UPDATE or DELETE grant; the schema owner has, but the triggers
    /// refuse. Both must say no: the owner's refusal is the one reported.
    /// </summary>
    protected override string? Tamper(string sql)
    {
        var asApplication = Run(_application, sql);
        asApplication.Should().NotBeNull().And.Contain("permission denied", "the services' role holds no UPDATE or DELETE grant");
        using var owner = NpgsqlDataSource.Create(_server.ConnectionString("ev_owner", _database));
        return Run(owner, sql);
    }

    public void Dispose()
    {
        _others.ForEach(o => o.Dispose());
        _application.Dispose();
    }

    private static string? Run(NpgsqlDataSource source, string sql)
    {
        try
        {
            using var command = source.CreateCommand(sql);
            command.ExecuteNonQuery();
            return null;
        }
        catch (PostgresException e)
        {
            return e.MessageText;
        }
    }
}
