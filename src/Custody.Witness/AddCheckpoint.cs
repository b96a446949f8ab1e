using System.Globalization;
using EvidenceVault.Custody.Verifier;
using NodaTime;
using Serilog;

namespace EvidenceVault.Witness;

/// <summary>What the witness answers: an HTTP status, a body and its content type.</summary>
internal sealed record WitnessReply(int Status, string Body, string ContentType = "text/plain; charset=utf-8");

/// <summary>
/// The tlog-witness <c>add-checkpoint</c> call (c2sp.org/tlog-witness): a checkpoint of a trusted log
/// and a consistency proof from the newest one cosigned for that log. The check of the old size and
/// the write of the new state happen under one lock, so that two requests can never roll it back.
/// </summary>
internal sealed class AddCheckpoint(WitnessFolder folder, CosigningKey key, IClock clock)
{
    public const string SizeContentType = "text/x.tlog.size";
    private const int MaxProofLines = 63;

    private readonly SemaphoreSlim _lock = new(1, 1);

    public async Task<WitnessReply> HandleAsync(string request, CancellationToken cancellationToken)
    {
        // old N, proof lines, an empty line, then the checkpoint.
        var blank = request.IndexOf("\n\n", StringComparison.Ordinal);
        if (blank < 0)
        {
            return Bad("the request is not 'old N', proof lines, an empty line and a checkpoint");
        }

        var head = request[..blank].Split('\n');
        if (!head[0].StartsWith("old ", StringComparison.Ordinal) || !TryDecimal(head[0][4..], out var oldSize))
        {
            return Bad("the first line is not 'old N' (N decimal, no leading zeroes)");
        }

        if (head.Length - 1 > MaxProofLines)
        {
            return Bad($"more than {MaxProofLines} consistency proof lines");
        }

        var proof = new List<byte[]>();
        foreach (var line in head.Skip(1))
        {
            if (VerifierKey.Base64Strict(line) is not { Length: Rfc9162.HashLength } hash)
            {
                return Bad("a consistency proof line is not the base64 of a 32-byte hash");
            }

            proof.Add(hash);
        }

        var note = request[(blank + 2)..];
        var origin = note.Split('\n', 2)[0];
        var keys = folder.TrustedLogs().Where(k => k.Name == origin).ToList();
        if (keys.Count == 0)
        {
            Log.Warning("Refused a checkpoint of {Origin}: not a log this witness trusts", origin);
            return new WitnessReply(404, $"this witness does not witness the log '{origin}'\n");
        }

        var checkpoint = keys.Select(k => CosignedCheckpoint.Open(note, k, out _)).FirstOrDefault(c => c is not null);
        if (checkpoint is null)
        {
            Log.Warning("Refused a checkpoint of {Origin}: no signature by a key this witness trusts for it", origin);
            return new WitnessReply(403, $"no signature by a trusted key of '{origin}'\n");
        }

        if (oldSize > checkpoint.Size)
        {
            return Bad($"old size {oldSize} is larger than the checkpoint's size {checkpoint.Size}");
        }

        var parts = NoteParts.Split(note)!;
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var latest = folder.Latest(origin) is { } stored ? keys.Select(k => CosignedCheckpoint.Open(stored, k, out _)).FirstOrDefault(c => c is not null) : null;
            var latestSize = latest?.Size ?? 0;
            if (oldSize != latestSize)
            {
                Log.Information("Checkpoint of {Origin} at {Size} sent with old size {OldSize}; the newest cosigned is {LatestSize}", origin, checkpoint.Size, oldSize, latestSize);
                return new WitnessReply(409, latestSize.ToString(CultureInfo.InvariantCulture) + "\n", SizeContentType);
            }

            if (latest is not null && checkpoint.Size == latest.Size && !checkpoint.Root.AsSpan().SequenceEqual(latest.Root))
            {
                return Refuse(409, origin, request, checkpoint, latestSize,
                    $"a second signed checkpoint of size {checkpoint.Size} with another root: the log forked");
            }

            var consistent = oldSize == 0
                ? proof.Count == 0
                : checkpoint.Size == oldSize ? proof.Count == 0 : Rfc9162.VerifyConsistency(oldSize, checkpoint.Size, latest!.Root, checkpoint.Root, proof);
            if (!consistent)
            {
                return Refuse(422, origin, request, checkpoint, latestSize,
                    $"the consistency proof from {oldSize} to {checkpoint.Size} does not verify: the log's history is not the one cosigned");
            }

            var cosignature = key.Cosign(parts.Body, clock.GetCurrentInstant().ToUnixTimeSeconds());
            var others = parts.Signatures.Where(s => !s.StartsWith($"\u2014 {key.Public.Name} ", StringComparison.Ordinal));
            folder.Persist(origin, (parts with { Signatures = [.. others, cosignature] }).ToString());
            Log.Information("Cosigned {Origin} at size {Size} (was {OldSize})", origin, checkpoint.Size, oldSize);
            return new WitnessReply(200, cosignature + "\n");
        }
        finally
        {
            _lock.Release();
        }
    }

    private WitnessReply Refuse(int status, string origin, string request, CheckpointNote checkpoint, long latestSize, string reason)
    {
        Log.Error("Refused a checkpoint of {Origin} at size {Size}: {Reason}", origin, checkpoint.Size, reason);
        folder.Refused(new
        {
            at = clock.GetCurrentInstant().ToString(),
            origin,
            status,
            reason,
            size = checkpoint.Size,
            latestCosignedSize = latestSize,
            request,
        });
        return new WitnessReply(status, reason + "\n");
    }

    private static WitnessReply Bad(string reason) => new(400, reason + "\n");

    private static bool TryDecimal(string text, out long value) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value.ToString(CultureInfo.InvariantCulture) == text;
}
