using MediatR;
using System.Text.Json;
using EvidenceVault.Custody.Access;
using EvidenceVault.Custody.Export;
using EvidenceVault.Custody.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EvidenceVault.Custody.Cli;

/// <summary>
/// <c>custody role grant|revoke</c> (API roles and the policy profile's approver roles) and
/// <c>custody account issue|revoke</c> (API keys for dock stations and people). All ledgered.
/// </summary>
internal static class AccountCommand
{
    public static async Task<int> RunAsync(string verb, string sub, Arguments arguments)
    {
        using var vault = Output.OpenVault(arguments);
        using var services = new ServiceCollection().AddCustody(vault).BuildServiceProvider();
        var sender = services.GetRequiredService<IMediator>();
        var reason = arguments.Value("reason") ?? string.Empty;
        switch (verb, sub)
        {
            case ("role", "grant"):
                Console.WriteLine($"ledger entry {await sender.Send(new GrantRole(arguments.Required("user"), arguments.Required("role"), arguments.Required("by"), reason))}");
                return 0;
            case ("role", "revoke"):
                Console.WriteLine($"ledger entry {await sender.Send(new RevokeRole(arguments.Required("user"), arguments.Required("role"), arguments.Required("by"), reason))}");
                return 0;
            case ("account", "issue"):
                var issued = await sender.Send(new IssueAccount(arguments.Required("id"), arguments.Required("kind"), arguments.Required("by"), reason));
                Console.WriteLine(arguments.Has("json")
                    ? JsonSerializer.Serialize(new { account = arguments.Required("id"), kind = arguments.Required("kind"), key = issued.Key, ledgerEntry = issued.LedgerIndex }, Output.JsonLine)
                    : $"{issued.Key}\n(shown once: the vault keeps only its SHA-256; ledger entry {issued.LedgerIndex})");
                return 0;
            case ("account", "revoke"):
                Console.WriteLine($"ledger entry {await sender.Send(new RevokeAccount(arguments.Required("id"), arguments.Required("by"), reason, arguments.Value("kind")))}");
                return 0;
            default:
                throw new UsageException(verb == "role" ? "role needs a verb: grant, revoke." : "account needs a verb: issue, revoke.");
        }
    }
}
