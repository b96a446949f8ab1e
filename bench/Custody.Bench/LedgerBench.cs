using System.Diagnostics;
using System.Numerics;
using System.Security.Cryptography;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Merkle;
using EvidenceVault.Custody.Verification;
using Microsoft.Data.Sqlite;
using NodaTime;

namespace EvidenceVault.Bench;

/// <summary>Issue 2's three figures: durable append, full verify, inclusion proof.</summary>
internal static class LedgerBench
{
    private const int Batch = 100;

    public static async Task RunAsync(long verifyEntries)
    {
        var root = Path.Combine(Path.GetTempPath(), "ev-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");
            DurableAppend(root);
            await VerifyAndProveAsync(root, verifyEntries);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void DurableAppend(string root)
    {
        const int Batches = 100;
        var payload = PayloadJson.Serialize(new ClipIngestedPayload { Sha256 = new string('a', 64), Size = 123456789, Station = "dock-01", Clip = new ClipFacts { FileName = "A1B2C3D_123456_20261123083000_0001.MP4", DeviceSerial = "A1B2C3D", OfficerId = "123456" } });

        // Baseline: the same number of rows of the same size, inserted raw into SQLite with the same
        // durability (WAL, synchronous=FULL, one transaction per batch): the floor for any durable log.
        var raw = new double[5];
        var ledger = new double[5];
        for (var run = 0; run < raw.Length; run++)
        {
            raw[run] = RawSqliteAppend(Path.Combine(root, $"raw{run}.db"), payload.Length + 120, Batches);
            using var vault = Vault.Create(Path.Combine(root, $"append{run}"), BenchClock.System, new VaultOptions { CheckpointEvery = int.MaxValue });
            var stopwatch = Stopwatch.StartNew();
            for (var b = 0; b < Batches; b++)
            {
                var batch = new NewEntry[Batch];
                for (var i = 0; i < Batch; i++)
                {
                    batch[i] = new NewEntry(EntryTypes.ClipIngested, "device:A1B2C3D", [$"clip:{b:D6}{i:D58}", "device:A1B2C3D"], "bench", payload);
                }

                vault.Ledger.Append(batch, vault.Sealer);
            }

            ledger[run] = Batches * Batch / stopwatch.Elapsed.TotalSeconds;
        }

        var (rawMedian, ledgerMedian) = (Median(raw), Median(ledger));
        Console.WriteLine($"durable append, batches of {Batch}, fsync per batch ({Batches * Batch} entries, median of {raw.Length}):");
        Console.WriteLine($"  raw SQLite rows (baseline): {rawMedian,10:N0} rows/s");
        Console.WriteLine($"  ledger append (sealed):     {ledgerMedian,10:N0} entries/s  ({ledgerMedian / rawMedian:F2}x baseline; goal >= 20,000/s)");
    }

    private static double RawSqliteAppend(string path, int rowBytes, int batches)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=false");
        connection.Open();
        using (var setup = connection.CreateCommand())
        {
            setup.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE t(idx INTEGER PRIMARY KEY, entry BLOB NOT NULL);";
            setup.ExecuteNonQuery();
        }

        var row = RandomNumberGenerator.GetBytes(rowBytes);
        var stopwatch = Stopwatch.StartNew();
        long index = 0;
        for (var b = 0; b < batches; b++)
        {
            using var transaction = connection.BeginTransaction();
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO t(idx, entry) VALUES ($i, $e)";
            var i = insert.Parameters.Add("$i", SqliteType.Integer);
            var e = insert.Parameters.Add("$e", SqliteType.Blob);
            for (var r = 0; r < Batch; r++)
            {
                i.Value = index++;
                e.Value = row;
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        return batches * Batch / stopwatch.Elapsed.TotalSeconds;
    }

    private static async Task VerifyAndProveAsync(string root, long entries)
    {
        var payload = PayloadJson.Serialize(new { note = "bench entry", device = "A1B2C3D" });
        var stopwatch = Stopwatch.StartNew();
        using var vault = Vault.Create(Path.Combine(root, "verify"), BenchClock.System, new VaultOptions { CheckpointEvery = int.MaxValue });
        // Batches of 100, as a dock appends: 10,000 seals for verify to check beside the entries.
        const int SetupBatch = 100;
        for (long done = 1; done < entries; done += SetupBatch)
        {
            var count = (int)Math.Min(SetupBatch, entries - done);
            var batch = new NewEntry[count];
            for (var i = 0; i < count; i++)
            {
                batch[i] = new NewEntry("BenchRecorded", "bench", [$"device:{(done + i) % 1000:D7}"], "bench", payload);
            }

            vault.Ledger.Append(batch, vault.Sealer);
            if ((done / SetupBatch) % 1000 == 999)
            {
                await vault.CheckpointAsync();
            }
        }

        await vault.CheckpointAsync();
        Console.WriteLine($"set-up: {vault.Ledger.Size:N0} entries in {stopwatch.Elapsed.TotalSeconds:F1} s");

        // Baseline: the hashing alone (every leaf and every node, in memory), which verify cannot avoid.
        var bytes = new List<byte[]>((int)entries);
        vault.Ledger.ScanEntries(row => { bytes.Add(row.Entry); return true; });
        var hashing = new double[3];
        var verify = new double[3];
        for (var run = 0; run < 3; run++)
        {
            stopwatch.Restart();
            var tree = new MerkleTree();
            foreach (var entry in bytes)
            {
                tree.Append(MerkleHash.Leaf(entry));
            }

            hashing[run] = stopwatch.Elapsed.TotalSeconds;
            stopwatch.Restart();
            var report = await VaultVerifier.VerifyAsync(vault, rehashObjects: false);
            verify[run] = stopwatch.Elapsed.TotalSeconds;
            if (!report.Ok)
            {
                throw new InvalidOperationException(report.Problems[0]);
            }
        }

        Console.WriteLine($"full verify of {entries:N0} entries (median of 3):");
        Console.WriteLine($"  leaf + node hashing in memory (baseline): {Median(hashing),6:F2} s");
        Console.WriteLine($"  custody verify (seals, derived replay):   {Median(verify),6:F2} s  ({Median(verify) / Median(hashing):F2}x baseline; goal <= 5 s)");

        // Inclusion proofs against the stored tree; baseline: the same number of single-row lookups.
        var size = vault.Ledger.Size;
        var random = new Random(1);
        const int Proofs = 2000;
        var maxLength = 0;
        stopwatch.Restart();
        for (var p = 0; p < Proofs; p++)
        {
            var index = random.NextInt64(size);
            var path = vault.Ledger.InclusionProof(index, size);
            maxLength = Math.Max(maxLength, path.Count);
        }

        var proofMs = stopwatch.Elapsed.TotalMilliseconds / Proofs;
        stopwatch.Restart();
        for (var p = 0; p < Proofs; p++)
        {
            vault.Ledger.PerfectNode(0, random.NextInt64(size));
        }

        var lookupMs = stopwatch.Elapsed.TotalMilliseconds / Proofs;
        var bound = 64 - BitOperations.LeadingZeroCount((ulong)(size - 1));
        Console.WriteLine($"inclusion proof at {size:N0} entries (mean of {Proofs}):");
        Console.WriteLine($"  one stored-node lookup (baseline): {lookupMs * 1000,8:F1} us");
        Console.WriteLine($"  inclusion proof:                   {proofMs * 1000,8:F1} us  ({proofMs / lookupMs:F1}x one lookup; goal <= 1 ms); longest path {maxLength} hashes (ceil(log2 n) = {bound})");
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
