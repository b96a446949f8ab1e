using MediatR;
using System.Text.Json;
using EvidenceVault.Custody.Export;
using EvidenceVault.Custody.Hosting;
using EvidenceVault.Custody.Verifier;
using Microsoft.Extensions.DependencyInjection;

namespace EvidenceVault.Custody.Cli;

/// <summary>
/// <c>custody export request|approve</c> (R8), <c>custody export</c> (R9: the certified package),
/// and <c>custody verify-export</c> (the court's offline check).
/// </summary>
internal static class ExportCommand
{
    public static async Task<int> RunAsync(string? sub, Arguments arguments)
    {
        using var vault = Output.OpenVault(arguments);
        using var services = new ServiceCollection().AddCustody(vault).BuildServiceProvider();
        var sender = services.GetRequiredService<IMediator>();
        switch (sub)
        {
            case "request":
                var index = await sender.Send(new RequestExport(arguments.Required("case"), Clips(arguments), arguments.Value("reason") ?? string.Empty, arguments.Required("by")));
                Console.WriteLine($"export request {index}");
                return 0;
            case "approve":
                Console.WriteLine($"ledger entry {await sender.Send(new ApproveExport(arguments.Long("request") ?? throw new UsageException("--request is required."), arguments.Value("opinion"), arguments.Required("by")))}");
                return 0;
        }

        var tsa = arguments.Value("tsa") ?? Environment.GetEnvironmentVariable("EVIDENCEVAULT_TSA_URL");
        var result = await CourtExport.WriteAsync(vault, new ExportOptions(
            arguments.Required("case"),
            Clips(arguments),
            arguments.Required("out"),
            arguments.Value("reason"),
            arguments.Value("by"),
            arguments.Has("iso"),
            string.IsNullOrEmpty(tsa) ? null : Uri.TryCreate(tsa, UriKind.Absolute, out var uri) ? uri : throw new UsageException($"--tsa '{tsa}' is not a URL."),
            arguments.Value("since-checkpoint")));
        if (arguments.Has("json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                directory = result.Directory,
                zip = result.Zip,
                iso = result.Iso,
                ledgerEntry = result.EntryIndex,
                checkpointSize = result.CheckpointSize,
                manifestSha256 = result.ManifestSha256,
                clips = result.Report.Clips,
                entries = result.Report.Entries,
            }, Output.Json));
        }
        else
        {
            Console.WriteLine($"exported case {result.Report.CaseNumber}: {result.Report.Clips} clips, {result.Report.Entries} custody entries, checkpoint {result.CheckpointSize}");
            Console.WriteLine($"  {result.Directory}\n  {result.Zip}{(result.Iso is null ? string.Empty : "\n  " + result.Iso)}");
            Console.WriteLine($"  ledger entry {result.EntryIndex}, manifest SHA-256 {result.ManifestSha256}; verified as a court will verify it");
        }

        return 0;
    }

    /// <summary>
    /// Exit 0 only when every check holds and the package's key is the pinned one (--key); 3 when every
    /// check holds but no key was pinned (only self-consistent); 1 when a check fails. Needs nothing but the package.
    /// </summary>
    public static int Verify(Arguments arguments)
    {
        var path = arguments.Positionals.Count == 1 ? arguments.Positionals[0] : throw new UsageException("verify-export takes one package (directory or ZIP).");
        if (!Directory.Exists(path) && !File.Exists(path))
        {
            throw new UsageException($"{path} does not exist.");
        }

        foreach (var witness in arguments.Values("witness-key"))
        {
            try
            {
                _ = CosignerKey.Parse(witness);
            }
            catch (FormatException e)
            {
                throw new UsageException($"--witness-key: {e.Message}");
            }
        }

        var quorum = arguments.Long("witness-quorum");
        if (quorum is { } q && (q < 1 || q > arguments.Values("witness-key").Count))
        {
            throw new UsageException($"--witness-quorum must be between 1 and the number of --witness-key given ({arguments.Values("witness-key").Count}).");
        }

        var report = ExportVerifier.Verify(path, new VerifyOptions(arguments.Value("key"), arguments.Value("tsa-cert-sha256"), arguments.Values("witness-key"), (int?)quorum));
        if (arguments.Has("json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                ok = report.Ok,
                package = report.Package,
                caseNumber = report.CaseNumber,
                clips = report.Clips,
                entries = report.Entries,
                treeSize = report.TreeSize,
                keyFingerprint = report.KeyFingerprint,
                keyPinned = report.KeyPinned,
                witnessesCosigned = report.WitnessesCosigned,
                result = !report.Ok ? "failed" : report.KeyPinned ? "verified" : "self-consistent-only",
                timestamp = report.Timestamp,
                checks = report.Checks,
            }, Output.Json));
        }
        else
        {
            Console.Write(report.ToText());
        }

        return !report.Ok ? 1 : report.KeyPinned ? 0 : 3;
    }

    private static IReadOnlyList<Sha256Digest> Clips(Arguments arguments) =>
        [.. arguments.Values("clips").SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(v => Sha256Digest.TryParseHex(v, out var digest) ? digest : throw new UsageException($"--clips takes SHA-256 values (64 hex digits), not '{v}'."))];
}
