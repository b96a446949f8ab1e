using MediatR;
using System.Diagnostics;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Cases;
using EvidenceVault.Custody.Export;
using EvidenceVault.Custody.Ingest;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Verifier;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace EvidenceVault.Bench;

/// <summary>
/// Export a case of N clips and verify the package as a court would, against `openssl dgst -sha256`
/// of the same originals (the floor: the verifier must hash every byte; the proofs cost little).
/// </summary>
internal static class ExportBench
{
    public static async Task RunAsync(int clips, int megabytesEach)
    {
        var root = Path.Combine(Path.GetTempPath(), "ev-bench-export-" + Guid.NewGuid().ToString("N"));
        try
        {
            var stopwatch = Stopwatch.StartNew();
            using var vault = Vault.Create(Path.Combine(root, "vault"), BenchClock.System, new VaultOptions { PolicyProfile = "hebei-street-office" });
            using var services = new ServiceCollection().AddCustody(vault).BuildServiceProvider();
            var sender = services.GetRequiredService<IMediator>();
            const string Case = "冀执罚〔2026〕200号";
            await sender.Send(new RegisterCase(Case, "占道经营", ["张三"], "clerk01", "bench"));
            var random = new Random(200);
            var content = new byte[megabytesEach << 20];
            for (var i = 0; i < clips; i++)
            {
                random.NextBytes(content);
                using var source = new MemoryStream(content, writable: false);
                var ingested = await sender.Send(new IngestClip(source, new ClipFacts { FileName = $"A1B2C3D_123456_20261123{i:D6}_{i:D4}.MP4", DeviceSerial = "A1B2C3D", OfficerId = "123456" }));
                await sender.Send(new LinkClip(ingested.Sha256, Case, true, "clerk01", "bench"));
            }

            await sender.Send(new GrantRole("head01", "agency-head", "head01", "bench"));
            var request = await sender.Send(new RequestExport(Case, [], "bench", "clerk01"));
            await sender.Send(new GrantRole("legal01", "reviewer", "admin", "bench"));
            await sender.Send(new Custody.Access.ReviewRequest(request, "bench", "legal01"));
            await sender.Send(new ApproveExport(request, null, "head01"));
            Console.WriteLine($"set-up: {clips} clips of {megabytesEach} MiB ingested and linked in {stopwatch.Elapsed.TotalSeconds:F1} s");

            var package = Path.Combine(root, "package");
            stopwatch.Restart();
            var result = await CourtExport.WriteAsync(vault, new ExportOptions(Case, [], package));
            var export = stopwatch.Elapsed.TotalSeconds;
            var originals = Directory.GetFiles(Path.Combine(package, "originals")).Order(StringComparer.Ordinal).ToArray();
            var bytes = originals.Sum(f => new FileInfo(f).Length);

            var openssl = new double[3];
            var directory = new double[3];
            var zip = new double[3];
            for (var run = 0; run < 3; run++)
            {
                stopwatch.Restart();
                OpensslDigest(originals);
                openssl[run] = stopwatch.Elapsed.TotalSeconds;
                stopwatch.Restart();
                Check(ExportVerifier.Verify(package));
                directory[run] = stopwatch.Elapsed.TotalSeconds;
                stopwatch.Restart();
                Check(ExportVerifier.Verify(result.Zip));
                zip[run] = stopwatch.Elapsed.TotalSeconds;
            }

            Array.Sort(openssl);
            Array.Sort(directory);
            Array.Sort(zip);
            Console.WriteLine($"export of {clips} clips, {bytes / (1 << 20):N0} MiB, {result.Report.Entries} entries: {export:F2} s (copy, hash, ledger, sheet, ZIP, self-verify)");
            Console.WriteLine($"verification, median of 3, files in the page cache:");
            Console.WriteLine($"  openssl dgst -sha256 of the originals (baseline): {openssl[1],6:F2} s");
            Console.WriteLine($"  custody verify-export, directory:                 {directory[1],6:F2} s  ({directory[1] / openssl[1]:F2}x baseline; goal <= 1.2x)");
            Console.WriteLine($"  custody verify-export, ZIP (rebuilt and compared): {zip[1],6:F2} s  ({zip[1] / openssl[1]:F2}x baseline)");
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private static void Check(VerificationReport report)
    {
        if (!report.Ok)
        {
            throw new InvalidOperationException(report.ToText());
        }
    }

    private static void OpensslDigest(string[] files)
    {
        var start = new ProcessStartInfo("openssl") { RedirectStandardOutput = true };
        foreach (var argument in (string[])["dgst", "-sha256", .. files])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException("openssl dgst failed");
        }
    }
}
