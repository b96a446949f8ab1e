using MediatR;
using System.Text.Json;
using EvidenceVault.Custody.Access;
using EvidenceVault.Custody.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EvidenceVault.Custody.Cli;

/// <summary>
/// <c>custody unit create|assign|list</c> (R8, 004 §28: access by level) and <c>custody label set|clear|list</c>
/// (R10: confidentiality), and <c>custody review</c> (R16). Every change is a ledger entry; the lists replay them.
/// </summary>
internal static class UnitCommand
{
    public static async Task<int> RunAsync(string noun, string sub, Arguments arguments)
    {
        using var vault = Output.OpenVault(arguments);
        if (sub == "list")
        {
            return noun == "unit" ? ListUnits(vault, arguments) : ListLabels(vault, arguments);
        }

        using var services = new ServiceCollection().AddCustody(vault).BuildServiceProvider();
        var sender = services.GetRequiredService<IMediator>();
        var by = arguments.Required("by");
        var reason = arguments.Value("reason") ?? string.Empty;
        long index = (noun, sub) switch
        {
            ("unit", "create") => await sender.Send(new CreateUnit(arguments.Required("id"), arguments.Required("name"), arguments.Value("parent"), by, reason)),
            ("unit", "assign") => await sender.Send(new AssignMember(arguments.Required("user"), arguments.Required("unit"), by, reason)),
            ("label", "set" or "clear") => await sender.Send(new ChangeLabel(Clip(arguments.Value("clip")), arguments.Value("case"), arguments.Required("label"), sub == "set", by, reason)),
            _ => throw new UsageException($"{noun} needs a verb."),
        };
        Console.WriteLine($"ledger entry {index}: {noun} {sub}");
        return 0;
    }

    /// <summary><c>custody review --request N --opinion TEXT --by USER</c> (R16).</summary>
    public static async Task<int> ReviewAsync(Arguments arguments)
    {
        using var vault = Output.OpenVault(arguments);
        using var services = new ServiceCollection().AddCustody(vault).BuildServiceProvider();
        var index = await services.GetRequiredService<IMediator>().Send(new ReviewRequest(arguments.Long("request") ?? throw new UsageException("--request is required."), arguments.Required("opinion"), arguments.Required("by")));
        Console.WriteLine($"ledger entry {index}: request reviewed");
        return 0;
    }

    private static Sha256Digest? Clip(string? text) =>
        text is null ? null : Sha256Digest.TryParseHex(text, out var digest) ? digest : throw new UsageException($"--clip takes a SHA-256 (64 hex digits), not '{text}'.");

    private static int ListUnits(Vault vault, Arguments arguments)
    {
        var tree = UnitTree.Load(vault);
        var units = tree.Units.Values.OrderBy(u => u.Entry).Select(u => new
        {
            id = u.Id,
            name = u.Name,
            parent = u.Parent,
            members = tree.Members.Where(m => m.Value == u.Id).Select(m => m.Key).Order(StringComparer.Ordinal).ToList(),
        }).ToList();
        if (arguments.Has("json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(new { units }, Output.Json));
            return 0;
        }

        void Print(string? parent, int depth)
        {
            foreach (var unit in units.Where(u => u.parent == parent))
            {
                Console.WriteLine($"{new string(' ', depth * 2)}{unit.id}  {TerminalText.Printable(unit.name)}" + (unit.members.Count > 0 ? $"  [{string.Join(", ", unit.members)}]" : string.Empty));
                Print(unit.id, depth + 1);
            }
        }

        Console.WriteLine("the agency");
        Print(null, 1);
        return 0;
    }

    private static int ListLabels(Vault vault, Arguments arguments)
    {
        var labelled = vault.Ledger.EntriesOfType(Ledger.EntryTypes.LabelSet).Select(e => Ledger.PayloadJson.Deserialize<LabelPayload>(e.Payload).Subject)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var book = LabelBook.Load(vault);
        var rows = labelled.Select(s => new { subject = s, labels = book.Of(s).Order(StringComparer.Ordinal).ToList() }).Where(r => r.labels.Count > 0).ToList();
        if (arguments.Has("json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(new { labelled = rows }, Output.Json));
            return 0;
        }

        foreach (var row in rows)
        {
            Console.WriteLine($"{TerminalText.Printable(row.subject)}  {string.Join(", ", row.labels)}");
        }

        return 0;
    }
}
