using MediatR;
using System.Text.Json;
using EvidenceVault.Custody.Hosting;
using EvidenceVault.Custody.Witnesses;
using Microsoft.Extensions.DependencyInjection;

namespace EvidenceVault.Custody.Cli;

/// <summary>
/// <c>custody witness add|remove</c> (ledgered acts naming the witness's URL and cosigner key),
/// <c>custody witness status</c> (what each witness last cosigned, published beside the checkpoints)
/// and <c>custody witness sync</c> (offer the newest checkpoint now, as the worker does on its timer).
/// </summary>
internal static class WitnessCommand
{
    public static async Task<int> RunAsync(string sub, Arguments arguments)
    {
        using var vault = Output.OpenVault(arguments);
        using var services = new ServiceCollection().AddCustody(vault).BuildServiceProvider();
        var sender = services.GetRequiredService<IMediator>();
        switch (sub)
        {
            case "add":
                Console.WriteLine($"ledger entry {await sender.Send(new AddWitness(arguments.Required("url"), arguments.Required("key"), arguments.Value("reason") ?? string.Empty, arguments.Required("by")))}");
                Print(await vault.Witnesses.StatusAsync(), json: false);
                return 0;
            case "remove":
                Console.WriteLine($"ledger entry {await sender.Send(new RemoveWitness(arguments.Required("key"), arguments.Value("reason") ?? string.Empty, arguments.Required("by")))}");
                return 0;
            case "status":
                Print(await vault.Witnesses.StatusAsync(), arguments.Has("json"));
                return 0;
            case "sync":
                var statuses = await vault.Witnesses.OfferAsync();
                Print(statuses, arguments.Has("json"));
                // Exit 1 when a witness is behind the newest checkpoint after the offer: a script can retry.
                return statuses.All(s => s.CosignedSize == s.CheckpointSize) ? 0 : 1;
            default:
                throw new UsageException("witness needs a verb: add, remove, status, sync.");
        }
    }

    private static void Print(IReadOnlyList<WitnessStatus> statuses, bool json)
    {
        foreach (var s in statuses)
        {
            Console.WriteLine(json
                ? JsonSerializer.Serialize(new { witness = s.Name, key = s.Key, url = s.Url, cosignedSize = s.CosignedSize, cosignedAt = s.CosignedAt is { } t ? NodaTime.Instant.FromUnixTimeSeconds(t).ToString() : null, checkpointSize = s.CheckpointSize, behind = s.CheckpointSize - (s.CosignedSize ?? 0), lastOffer = s.LastOffer }, Output.JsonLine)
                : Output.Printable($"{s.Name}  {s.Url}  " + (s.CosignedSize is { } size ? $"cosigned {size} of {s.CheckpointSize} at {NodaTime.Instant.FromUnixTimeSeconds(s.CosignedAt!.Value)}" : $"nothing cosigned yet (checkpoint {s.CheckpointSize})") +
                    (s.LastOffer is { } last && !last.StartsWith("cosigned", StringComparison.Ordinal) ? $"  last offer: {last}" : string.Empty)));
        }

        if (statuses.Count == 0 && !json)
        {
            Console.WriteLine("no witnesses: add one with custody witness add --url URL --key VKEY --reason TEXT --by USER");
        }
    }
}
