using MediatR;
using System.Text.Json;
using EvidenceVault.Custody.Hosting;
using EvidenceVault.Custody.Policy;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;

namespace EvidenceVault.Custody.Cli;

/// <summary>
/// <c>custody policy set|show</c>, <c>custody declare-return</c> (R1 exception),
/// <c>custody workrecord file|review</c> (R11) and <c>custody retention [set ...]</c> (R6).
/// Every change needs --by and is a ledger entry.
/// </summary>
internal static class PolicyCommand
{
    public static async Task<int> RunAsync(string verb, string? sub, Arguments arguments)
    {
        using var vault = Output.OpenVault(arguments);
        using var services = new ServiceCollection().AddCustody(vault).BuildServiceProvider();
        var sender = services.GetRequiredService<IMediator>();
        var now = vault.Clock.GetCurrentInstant();
        switch (verb, sub)
        {
            case ("policy", "show"):
                var profile = vault.Policy.ActiveProfile();
                Console.WriteLine(arguments.Has("json")
                    ? JsonSerializer.Serialize(profile, Output.Json)
                    : $"{profile.Id}: {profile.Agency} ({profile.Source})\n  R1 upload within {profile.Upload.Hours} h [{profile.Upload.Cite}]; after-return exception: {(profile.UploadAfterReturn.Allowed ? "yes" : "no")} [{profile.UploadAfterReturn.Cite}]" +
                      $"\n  R2 archive: {(profile.Archive is { } a ? $"{a.Days} {(a.WorkingDays ? "working" : "calendar")} days [{a.Cite}]" : "no deadline in this regulation")}" +
                      $"\n  R3 written explanation: {profile.Interruption.WrittenSignatures} signature(s) [{profile.Interruption.WrittenCite}], within {profile.Interruption.WrittenWithinHoursOfReturn} h [{profile.Interruption.WrittenWithinCite}]" +
                      $"\n  R8 copies approved by {profile.CopyApprover.Role} [{profile.CopyApprover.Cite}]; release outside by {profile.ExternalReleaseApprover.Role} [{profile.ExternalReleaseApprover.Cite}]" +
                      $"\n  R6 retention {profile.Retention.Rule}{(profile.Retention.MinimumMonths is { } m ? $", at least {m} months" : string.Empty)} [{profile.Retention.Cite}]");
                return 0;
            case ("policy", "set"):
                Console.WriteLine($"ledger entry {await sender.Send(new SelectPolicy(arguments.Required("profile"), arguments.Required("by"), arguments.Value("reason") ?? string.Empty))}");
                return 0;
            case ("declare-return", _):
                Console.WriteLine($"ledger entry {await sender.Send(new DeclareRemoteEnforcement(arguments.Required("officer"), arguments.Required("reason"),
                    DeadlinesCommand.Time(arguments.Required("from")), DeadlinesCommand.Time(arguments.Required("return")), arguments.Required("by")))}");
                return 0;
            case ("workrecord", "file"):
                Console.WriteLine($"ledger entry {await sender.Send(new FileWorkRecord(arguments.Required("officer"), arguments.Required("reason"), arguments.Required("basis"),
                    arguments.Value("at") is { } at ? DeadlinesCommand.Time(at) : now, arguments.Required("by")))}");
                return 0;
            case ("workrecord", "review"):
                Console.WriteLine($"ledger entry {await sender.Send(new ReviewWorkRecord(arguments.Long("index") ?? throw new UsageException("--index is required."), arguments.Value("opinion") ?? "reviewed", arguments.Required("by")))}");
                return 0;
            case ("retention", "record"):
                Console.WriteLine($"ledger entry {await sender.Send(new RecordRetentionFact(arguments.Required("kind"), arguments.Required("subject"), arguments.Value("trigger"), arguments.Value("note"), arguments.Required("by")))}");
                return 0;
            case ("retention", null):
                foreach (var (sha, (retentionClass, because)) in Retention.Classify(vault).OrderBy(c => c.Key, StringComparer.Ordinal))
                {
                    Console.WriteLine(arguments.Has("json")
                        ? JsonSerializer.Serialize(new { sha256 = sha, retention = retentionClass, because }, Output.JsonLine)
                        : $"{sha}  {retentionClass,-22} {because}");
                }

                return 0;
            default:
                throw new UsageException($"Unknown command '{verb} {sub}'.");
        }
    }
}
