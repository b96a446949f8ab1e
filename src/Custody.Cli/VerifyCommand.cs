using System.Text.Json;
using EvidenceVault.Custody.Checkpoints;
using EvidenceVault.Custody.Hosting;
using EvidenceVault.Custody.Verification;

namespace EvidenceVault.Custody.Cli;

/// <summary><c>custody verify</c>: exit 0 only if every entry, node, checkpoint (and with --objects every original) holds.</summary>
internal static class VerifyCommand
{
    public static async Task<int> RunAsync(Arguments arguments)
    {
        NoteVerifierKey? pinned = null;
        if (arguments.Value("key") is { } keyText)
        {
            try
            {
                pinned = NoteVerifierKey.Parse(keyText);
            }
            catch (FormatException e)
            {
                throw new UsageException($"--key: {e.Message}");
            }
        }

        using var vault = Output.OpenVault(arguments);
        var report = await VaultVerifier.VerifyAsync(vault, arguments.Has("objects"), pinned);
        if (arguments.Has("json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                ok = report.Ok,
                entries = report.Entries,
                checkpoints = report.Checkpoints,
                publishedCheckpoints = report.PublishedCheckpoints,
                objectsChecked = arguments.Has("objects") ? report.ObjectsChecked : (long?)null,
                entriesAfterLastCheckpoint = report.EntriesAfterLastCheckpoint,
                verifierKey = report.VerifierKey,
                firstProblem = report.Problems.FirstOrDefault(),
                problems = report.Problems,
            }, Output.Json));
        }
        else if (report.Ok)
        {
            Console.WriteLine($"custody holds: {report.Entries} entries, {report.Checkpoints} signed checkpoints (all published)" +
                (arguments.Has("objects") ? $", {report.ObjectsChecked} objects re-hashed" : string.Empty) + ".");
            if (report.EntriesAfterLastCheckpoint > 0)
            {
                Console.WriteLine($"{report.EntriesAfterLastCheckpoint} newest entries are not yet covered by a checkpoint.");
            }

            Console.WriteLine($"key: {report.VerifierKey}");
        }
        else
        {
            // Problems quote rows and names that came from outside: escaped for the terminal.
            Console.WriteLine(Output.Printable($"CUSTODY BROKEN: {report.Problems[0]}"));
            foreach (var problem in report.Problems.Skip(1))
            {
                Console.WriteLine(Output.Printable($"  also: {problem}"));
            }
        }

        return report.Ok ? 0 : 1;
    }
}
