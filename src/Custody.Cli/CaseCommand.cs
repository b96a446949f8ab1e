using MediatR;
using EvidenceVault.Custody.Cases;
using EvidenceVault.Custody.Hosting;
using Microsoft.Extensions.DependencyInjection;
using NodaTime.Text;

namespace EvidenceVault.Custody.Cli;

/// <summary>
/// <c>custody case</c>: register a case, record its enforcement actions, link or unlink clips, attach
/// a written explanation of an interruption. Every verb needs --by (who) and is a ledger entry.
/// </summary>
internal static class CaseCommand
{
    public static async Task<int> RunAsync(string verb, Arguments arguments)
    {
        using var vault = Output.OpenVault(arguments);
        using var services = new ServiceCollection().AddCustody(vault).BuildServiceProvider();
        var sender = services.GetRequiredService<IMediator>();
        var by = arguments.Required("by");
        if (verb == "transfer")
        {
            return await TransferAsync(vault, arguments, by);
        }

        long index = verb switch
        {
            "register" => await sender.Send(new RegisterCase(arguments.Required("number"), arguments.Required("cause"), arguments.Values("party"), by, arguments.Value("reason") ?? "case registered")),
            "action" => await sender.Send(new RecordAction(arguments.Required("number"), arguments.Required("type"), arguments.Values("officer"), arguments.Value("place"),
                Time(arguments.Required("start"), "start"), Time(arguments.Required("end"), "end"), by, arguments.Value("reason") ?? "enforcement action recorded", arguments.Has("emergency"))),
            "end" => await sender.Send(new Policy.EndMatter(arguments.Required("number"), Time(arguments.Required("at"), "at"), by)),
            "archive" => await sender.Send(new Policy.ArchiveCase(arguments.Required("number"), Time(arguments.Required("at"), "at"), by)),
            "approve-action" => await sender.Send(new Policy.ApproveAction(arguments.Required("number"), arguments.Long("index") ?? throw new UsageException("--index is required."),
                arguments.Value("opinion"), arguments.Value("at") is { } approvedAt ? Time(approvedAt, "at") : vault.Clock.GetCurrentInstant(), by)),
            "link" or "unlink" => await sender.Send(new LinkClip(Digest(arguments.Required("clip"), "clip"), arguments.Required("number"), verb == "link", by, arguments.Value("reason") ?? string.Empty)),
            "explain" => await ExplainAsync(sender, arguments, by),
            "review-speech" => await sender.Send(new ReviewSpeech(Digest(arguments.Required("resumed"), "resumed"),
                arguments.Required("heard") switch { "yes" => true, "no" => false, var other => throw new UsageException($"--heard takes yes or no, not '{other}'.") },
                arguments.Value("reason"), by)),
            _ => throw new UsageException($"Unknown case verb '{verb}'."),
        };
        Console.WriteLine($"ledger entry {index}");
        return 0;
    }

    private static async Task<int> TransferAsync(Vault vault, Arguments arguments, string by)
    {
        var result = await Export.CaseTransfer.WriteAsync(vault, new Export.TransferOptions(arguments.Required("number"), arguments.Required("to"), arguments.Value("receiver"),
            arguments.Value("reason") ?? string.Empty, arguments.Required("out"), by));
        if (arguments.Has("json"))
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                ledgerEntry = result.TransferEntry,
                exportEntry = result.Package.EntryIndex,
                zip = result.Package.Zip,
                manifestSha256 = result.Package.ManifestSha256,
                record = result.Record,
                clips = result.Package.Report.Clips,
            }, Output.Json));
        }
        else
        {
            Console.WriteLine($"ledger entry {result.TransferEntry}: case {arguments.Required("number")} transferred to {arguments.Required("to")}");
            Console.WriteLine($"  package {result.Package.Zip} (export entry {result.Package.EntryIndex}, {result.Package.Report.Clips} clips, verified as the receiver will verify it)");
            Console.WriteLine($"  transfer record {result.Record}");
        }

        return 0;
    }

    private static async Task<long> ExplainAsync(IMediator sender, Arguments arguments, string by)
    {
        await using var document = arguments.Value("document") is { } path ? File.OpenRead(path) : null;
        return await sender.Send(new AttachWrittenExplanation(
            Digest(arguments.Required("resumed"), "resumed"),
            arguments.Value("previous") is { } previous ? Digest(previous, "previous") : null,
            arguments.Required("category"),
            arguments.Required("text"),
            arguments.Values("signed-by"),
            document,
            by));
    }

    private static NodaTime.Instant Time(string text, string option)
    {
        // Accepts UTC (Z) or an offset; camera-side times in China are +08:00.
        var parsed = OffsetDateTimePattern.ExtendedIso.Parse(text);
        if (parsed.Success)
        {
            return parsed.Value.ToInstant();
        }

        var utc = InstantPattern.ExtendedIso.Parse(text);
        return utc.Success ? utc.Value : throw new UsageException($"--{option} '{text}' is not an ISO 8601 time with an offset (e.g. 2026-11-23T09:00:00+08:00).");
    }

    private static Sha256Digest Digest(string text, string option) =>
        Sha256Digest.TryParseHex(text, out var digest) ? digest : throw new UsageException($"--{option} takes a SHA-256 (64 hex digits).");
}
