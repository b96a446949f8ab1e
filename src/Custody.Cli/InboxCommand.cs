using System.Text.Json;
using EvidenceVault.Custody.Access;
using EvidenceVault.Custody.Hosting;

namespace EvidenceVault.Custody.Cli;

/// <summary><c>custody inbox --user ID</c>: what awaits this person's decision, and what they asked for that awaits someone else's (R16).</summary>
internal static class InboxCommand
{
    public static int Run(Arguments arguments)
    {
        using var vault = Output.OpenVault(arguments);
        var inbox = Inbox.For(vault, arguments.Required("user"));
        if (arguments.Has("json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(Inbox.Json(inbox), Output.Json));
            return 0;
        }

        Console.WriteLine($"{inbox.User}: {inbox.ToDecide.Count} to decide, {inbox.Waiting.Count} waiting on others");
        foreach (var item in inbox.ToDecide)
        {
            Console.WriteLine($"  {item.Kind,-16} entry {item.Entry,-6} from {item.RequestedBy} at {Output.Utc(item.RequestedAt)}: {TerminalText.Printable(item.Summary)} [{item.Cite}]\n    {item.Command} --by {inbox.User}");
        }

        foreach (var item in inbox.Waiting)
        {
            Console.WriteLine($"  waiting: {item.Kind} entry {item.Entry} for a holder of '{item.Role}': {TerminalText.Printable(item.Summary)}");
        }

        return 0;
    }
}
