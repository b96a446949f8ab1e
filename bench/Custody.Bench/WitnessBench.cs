using System.Diagnostics;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Ingest;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Witnesses;
using MediatR;
using Microsoft.Extensions.DependencyInjection;

namespace EvidenceVault.Bench;

/// <summary>
/// Issue 20's figures: what a witness costs per checkpoint (latency of one offer, requests) and
/// whether ingest with two witnesses stays within 5 % of none. Two real custody-witness processes
/// (out/Custody.Witness, ./build.sh publish) on 127.0.0.1; the A/B alternates in the same run.
/// </summary>
internal static class WitnessBench
{
    public static async Task RunAsync(int clips, int rounds)
    {
        var root = Path.Combine(Path.GetTempPath(), "ev-bench-witness-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var witnesses = new List<(Process Process, string Key, Uri Url, string Folder)>();
        try
        {
            Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");
            for (var w = 0; w < 2; w++)
            {
                witnesses.Add(StartWitness(Path.Combine(root, $"witness{w}"), $"bench.example/w{w}"));
            }

            var none = new List<double>();
            var two = new List<double>();
            var both = witnesses.Select(w => (w.Key, w.Url, w.Folder)).ToList();
            _ = await IngestAsync(Path.Combine(root, "warm-up"), clips / 3, both); // JIT and the witnesses' first requests
            for (var round = 0; round < rounds; round++)
            {
                // Alternating which goes first, so a drift of the machine falls on both.
                if (round % 2 == 0)
                {
                    none.Add(await IngestAsync(Path.Combine(root, $"none{round}"), clips, []));
                    two.Add(await IngestAsync(Path.Combine(root, $"two{round}"), clips, both));
                }
                else
                {
                    two.Add(await IngestAsync(Path.Combine(root, $"two{round}"), clips, both));
                    none.Add(await IngestAsync(Path.Combine(root, $"none{round}"), clips, []));
                }
            }

            var (a, b) = (Median(none), Median(two));
            Console.WriteLine($"ingest, {clips} clips of 64 KiB, a checkpoint every 10 (median of {rounds} alternating rounds):");
            Console.WriteLine($"  no witness (baseline): {a,8:N1} clips/s");
            Console.WriteLine($"  two witnesses:         {b,8:N1} clips/s  ({b / a:F3}x baseline; goal >= 0.95)");
            await OfferLatencyAsync(Path.Combine(root, "latency"), witnesses.Select(w => (w.Key, w.Url, w.Folder)).ToList());
        }
        finally
        {
            foreach (var (process, _, _, _) in witnesses)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            Directory.Delete(root, recursive: true);
            foreach (var key in Directory.EnumerateFiles(Path.GetTempPath(), Path.GetFileName(root) + "*.signing-key"))
            {
                File.Delete(key);
            }
        }
    }

    private static async Task<double> IngestAsync(string data, int clips, IReadOnlyList<(string Key, Uri Url, string Folder)> witnesses)
    {
        using var vault = Vault.Create(data, BenchClock.System, new VaultOptions { Station = "dock-01" });
        using var services = new ServiceCollection().AddCustody(vault).BuildServiceProvider();
        var sender = services.GetRequiredService<IMediator>();
        foreach (var (key, url, folder) in witnesses)
        {
            Trust(folder, vault.VerifierKey.ToString());
            await sender.Send(new AddWitness(url.ToString(), key, "bench", "admin"));
        }

        var random = new Random(7);
        var bytes = new byte[64 * 1024];
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < clips; i++)
        {
            random.NextBytes(bytes);
            using var source = new MemoryStream(bytes);
            await sender.Send(new IngestClip(source, new ClipFacts { FileName = $"A1B2C3D_123456_20261123090000_{i:D4}.MP4", DeviceSerial = "A1B2C3D", OfficerId = "123456" }));
            if (i % 10 == 9)
            {
                await vault.CheckpointAsync();
            }
        }

        await vault.CheckpointAsync();
        var rate = clips / stopwatch.Elapsed.TotalSeconds;
        vault.Witnesses.Settle();
        if (witnesses.Count > 0 && (await vault.Witnesses.OfferAsync()).Any(s => s.CosignedSize != s.CheckpointSize))
        {
            throw new InvalidOperationException("a witness did not cosign the newest checkpoint");
        }

        File.Delete(data + ".signing-key");
        return rate;
    }

    /// <summary>
    /// A checkpoint until every witness cosigned it (sign, publish, one POST per witness with its
    /// consistency proof, cosignatures published), against signing and publishing it with no witness.
    /// </summary>
    private static async Task OfferLatencyAsync(string data, IReadOnlyList<(string Key, Uri Url, string Folder)> witnesses)
    {
        var alone = await CheckpointTimesAsync(data + "-alone", []);
        var cosigned = await CheckpointTimesAsync(data + "-two", witnesses);
        Console.WriteLine($"one checkpoint (one entry, signed, published; 200 in a row), median / p95:");
        Console.WriteLine($"  no witness (baseline):            {alone[alone.Count / 2],7:F2} / {alone[(int)(alone.Count * 0.95)],7:F2} ms");
        Console.WriteLine($"  until both witnesses cosigned it: {cosigned[cosigned.Count / 2],7:F2} / {cosigned[(int)(cosigned.Count * 0.95)],7:F2} ms" +
            $"  (+{cosigned[cosigned.Count / 2] - alone[alone.Count / 2]:F2} ms, {witnesses.Count} POSTs: {(cosigned[cosigned.Count / 2] - alone[alone.Count / 2]) / witnesses.Count:F2} ms per witness)");
    }

    private static async Task<List<double>> CheckpointTimesAsync(string data, IReadOnlyList<(string Key, Uri Url, string Folder)> witnesses)
    {
        using var vault = Vault.Create(data, BenchClock.System, new VaultOptions { Station = "dock-01", CheckpointEvery = int.MaxValue });
        using var services = new ServiceCollection().AddCustody(vault).BuildServiceProvider();
        foreach (var (key, url, folder) in witnesses)
        {
            Trust(folder, vault.VerifierKey.ToString());
            await services.GetRequiredService<IMediator>().Send(new AddWitness(url.ToString(), key, "bench", "admin"));
        }

        vault.Witnesses.Settle();
        var payload = PayloadJson.Serialize(new { n = 1 });
        var times = new List<double>();
        for (var i = 0; i < 200; i++)
        {
            await vault.RecordAsync([new NewEntry("BenchRecorded", "user:bench", ["vault"], "bench", payload)]);
            var stopwatch = Stopwatch.StartNew();
            await vault.CheckpointAsync();
            // The offer itself (the background one after a checkpoint is spaced a second apart).
            await vault.Witnesses.OfferAsync();
            times.Add(stopwatch.Elapsed.TotalMilliseconds);
        }

        vault.Witnesses.Settle();
        if (witnesses.Count > 0 && (await vault.Witnesses.StatusAsync()).Any(s => s.CosignedSize != s.CheckpointSize))
        {
            throw new InvalidOperationException("a witness did not cosign the newest checkpoint");
        }

        File.Delete(data + ".signing-key");
        times.Sort();
        return times;
    }

    private static void Trust(string folder, string logKey) => Witness("trust", "--data", folder, "--log-key", logKey).WaitForExit();

    private static (Process, string, Uri, string) StartWitness(string folder, string name)
    {
        var init = Witness("init", "--data", folder, "--name", name);
        var key = init.StandardOutput.ReadToEnd().Trim();
        init.WaitForExit();
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var url = new Uri($"http://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}/");
        listener.Stop();
        var serve = Witness("serve", "--data", folder, "--urls", url.ToString().TrimEnd('/'));
        serve.OutputDataReceived += (_, _) => { }; // its log: read, or a full pipe would stop it
        serve.BeginOutputReadLine();
        using var http = new HttpClient();
        for (var i = 0; ; i++)
        {
            try
            {
                if (http.GetAsync(new Uri(url, "health")).GetAwaiter().GetResult().IsSuccessStatusCode)
                {
                    return (serve, key, url, folder);
                }
            }
            catch (HttpRequestException) when (i < 100)
            {
            }

            Thread.Sleep(100);
        }
    }

    private static Process Witness(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "out", "Custody.Witness", "custody-witness.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{Path.GetFullPath(dll)} is missing: run ./build.sh publish first.");
        }

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { dll }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        return process;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
