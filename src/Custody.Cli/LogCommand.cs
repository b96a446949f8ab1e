using System.Text.Json;
using EvidenceVault.Custody.Hosting;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Merkle;

namespace EvidenceVault.Custody.Cli;

/// <summary><c>custody log</c>: the custody trail, whole or about one subject (e.g. <c>clip:&lt;sha256&gt;</c>).</summary>
internal static class LogCommand
{
    public static int Run(Arguments arguments)
    {
        using var vault = Output.OpenVault(arguments);
        var subject = arguments.Value("subject");
        // A bare digest means the clip with that content.
        if (subject is not null && Sha256Digest.TryParseHex(subject, out var digest))
        {
            subject = Subjects.Clip(digest);
        }

        foreach (var entry in vault.Ledger.Entries(subject))
        {
            if (arguments.Has("json"))
            {
                Console.WriteLine(JsonSerializer.Serialize(ToJson(entry), Output.JsonLine));
            }
            else
            {
                Console.WriteLine(Output.Printable($"{entry.Index,8}  {Output.Utc(entry.Time)}  {entry.Type,-14} {entry.Actor}  [{string.Join(", ", entry.Subjects.Select(s => s.Subject))}]  {entry.Reason}"));
                Console.WriteLine(Output.Printable($"          {entry.PayloadText}"));
            }
        }

        return 0;
    }

    public static object ToJson(LedgerEntry entry) => new
    {
        index = entry.Index,
        time = Output.Utc(entry.Time),
        type = entry.Type,
        actor = entry.Actor,
        subjects = entry.Subjects.Select(s => new { subject = s.Subject, previousIndex = s.PreviousIndex, previousLeafHash = s.PreviousLeafHash?.ToHex() }),
        reason = entry.Reason,
        payload = JsonDocument.Parse(entry.Payload).RootElement,
        salt = Convert.ToHexStringLower(entry.Salt),
        leafHash = MerkleHash.Leaf(LedgerEntryCodec.Encode(entry)).ToHex(),
    };
}
