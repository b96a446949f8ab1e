using System.Text.Json;
using EvidenceVault.Custody.Checkpoints;
using EvidenceVault.Custody.Hosting;
using EvidenceVault.Custody.Verification;
using EvidenceVault.Custody.Verifier;
using EvidenceVault.Custody.Witnesses;

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

        var witnessKeys = new List<CosignerKey>();
        foreach (var text in arguments.Values("witness-key"))
        {
            try
            {
                witnessKeys.Add(CosignerKey.Parse(text));
            }
            catch (FormatException e)
            {
                throw new UsageException($"--witness-key: {e.Message}");
            }
        }

        Uri? witnessUrl = null;
        if (arguments.Value("witness-url") is { } urlText && !Uri.TryCreate(urlText, UriKind.Absolute, out witnessUrl))
        {
            throw new UsageException($"--witness-url: '{urlText}' is not an absolute URL.");
        }

        using var vault = Output.OpenVault(arguments);
        var report = await VaultVerifier.VerifyAsync(vault, arguments.Has("objects"), pinned);
        // The agency can make its own folder say anything; only a witness's cosignature it cannot make.
        var verdicts = new List<WitnessVerdict>();
        foreach (var key in witnessKeys)
        {
            verdicts.Add(await WitnessCheck.CheckAsync(vault, key, witnessUrl));
        }

        var problems = report.Problems.Concat(verdicts.Where(v => !v.Ok).Select(v => v.Detail)).ToList();
        var ok = report.Ok && verdicts.All(v => v.Ok);
        if (arguments.Has("json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                ok,
                entries = report.Entries,
                checkpoints = report.Checkpoints,
                publishedCheckpoints = report.PublishedCheckpoints,
                objectsChecked = arguments.Has("objects") ? report.ObjectsChecked : (long?)null,
                entriesAfterLastCheckpoint = report.EntriesAfterLastCheckpoint,
                verifierKey = report.VerifierKey,
                unclaimedObjects = arguments.Has("objects") ? report.Unclaimed.Select(d => d.ToHex()) : null,
                firstProblem = problems.FirstOrDefault(),
                problems,
                witnesses = verdicts.Select(v => new { witness = v.Witness, verdict = v.Kind, witnessedSize = v.WitnessedSize, cosignedAt = v.CosignedAt is { } t ? NodaTime.Instant.FromUnixTimeSeconds(t).ToString() : null, detail = v.Detail }),
            }, Output.Json));
        }
        else if (ok)
        {
            Console.WriteLine($"custody holds: {report.Entries} entries, {report.Checkpoints} signed checkpoints (all published)" +
                (arguments.Has("objects") ? $", {report.ObjectsChecked} objects re-hashed" : string.Empty) + ".");
            if (report.EntriesAfterLastCheckpoint > 0)
            {
                Console.WriteLine($"{report.EntriesAfterLastCheckpoint} newest entries are not yet covered by a checkpoint.");
            }

            Console.WriteLine($"key: {report.VerifierKey}");
            Unclaimed(report);
            foreach (var verdict in verdicts)
            {
                Console.WriteLine(Output.Printable($"witness: {verdict.Detail}"));
            }
        }
        else
        {
            // Problems quote rows and names that came from outside: escaped for the terminal.
            Console.WriteLine(Output.Printable($"CUSTODY BROKEN: {problems[0]}"));
            foreach (var problem in problems.Skip(1))
            {
                Console.WriteLine(Output.Printable($"  also: {problem}"));
            }

            Unclaimed(report);
        }

        return ok ? 0 : 1;
    }

    private static void Unclaimed(EvidenceVault.Custody.Verification.VerificationReport report)
    {
        if (report.Unclaimed.Count > 0)
        {
            Console.WriteLine($"{report.Unclaimed.Count} objects in the store are named by no ledger entry (uploads never registered, or put there behind the vault): not custody.");
            foreach (var digest in report.Unclaimed.Take(20))
            {
                Console.WriteLine($"  unclaimed: {digest}");
            }
        }
    }
}
