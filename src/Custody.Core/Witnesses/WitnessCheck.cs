using System.Net;
using EvidenceVault.Custody.Merkle;
using EvidenceVault.Custody.Verifier;

namespace EvidenceVault.Custody.Witnesses;

/// <summary>How the vault's ledger stands against what one witness cosigned.</summary>
/// <param name="Kind"><c>consistent</c>, <c>rollback</c>, <c>fork</c>, <c>rewrite</c> or <c>unknown</c> (the witness could not be asked).</param>
public sealed record WitnessVerdict(string Witness, string Kind, long? WitnessedSize, long? CosignedAt, string Detail)
{
    public bool Ok => Kind == "consistent";
}

/// <summary>
/// <c>custody verify --witness-key</c>: the one check the agency cannot pass by editing its own
/// folder. The witness says which checkpoint it last cosigned for this ledger (checked: the
/// vault's signature and the pinned witness's cosignature). If the vault now holds fewer entries,
/// it was rolled back; if its tree at that size has another root, its history was forked after the
/// newest cosigned checkpoint it still agrees with, or rewritten when it agrees with none.
/// </summary>
public static class WitnessCheck
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public static async Task<WitnessVerdict> CheckAsync(Vault vault, CosignerKey key, Uri? url, CancellationToken cancellationToken = default)
    {
        var address = url ?? vault.Witnesses.EverConfigured().LastOrDefault(w => w.Key.Text == key.Text)?.Url;
        if (address is null)
        {
            return new WitnessVerdict(key.Name, "unknown", null, null,
                $"the ledger names no witness with the key {key.Text} (never added, or its entry is gone): give --witness-url to ask it directly");
        }

        string note;
        try
        {
            using var response = await Http.GetAsync(VaultWitnesses.Endpoint(address, "checkpoint?origin=" + Uri.EscapeDataString(vault.Identity.Origin)), cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return new WitnessVerdict(key.Name, "unknown", null, null, $"the witness at {address} has cosigned nothing for {vault.Identity.Origin}");
            }

            response.EnsureSuccessStatusCode();
            note = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return new WitnessVerdict(key.Name, "unknown", null, null, $"cannot ask the witness at {address}: {e.Message}");
        }

        var vaultKey = VerifierKey.Parse(vault.TrustedKey.ToString());
        var witnessed = CosignedCheckpoint.Open(note, vaultKey, out var problem);
        var parts = NoteParts.Split(note);
        var time = witnessed is null || parts is null ? null : key.Verify(parts.Body, parts.Signatures, out problem);
        if (witnessed is null || time is null)
        {
            return new WitnessVerdict(key.Name, "unknown", null, null, $"the witness at {address} answered a checkpoint that does not verify: {problem}");
        }

        var size = vault.Ledger.Size;
        var at = NodaTime.Instant.FromUnixTimeSeconds(time.Value);
        if (size < witnessed.Size)
        {
            return new WitnessVerdict(key.Name, "rollback", witnessed.Size, time,
                $"ROLLBACK: {key.Name} cosigned {witnessed.Size} entries at {at}; this vault holds {size}: entries {size}..{witnessed.Size - 1} are gone");
        }

        if (MerkleProofs.Root(vault.Ledger, witnessed.Size).ToBase64() == Convert.ToBase64String(witnessed.Root))
        {
            return new WitnessVerdict(key.Name, "consistent", witnessed.Size, time,
                $"{key.Name} cosigned {witnessed.Size} of these {size} entries at {at}, and the vault's tree agrees");
        }

        // Where did it part? The newest earlier cosignature this vault still holds and agrees with.
        var agreed = await NewestAgreedAsync(vault, key, witnessed.Size, cancellationToken).ConfigureAwait(false);
        return agreed is { } k
            ? new WitnessVerdict(key.Name, "fork", witnessed.Size, time,
                $"FORK: {key.Name} cosigned {witnessed.Size} entries with root {Convert.ToBase64String(witnessed.Root)} at {at}; this vault's first {witnessed.Size} entries have another root. It agrees with what {key.Name} cosigned at size {k}: the history after entry {k - 1} was replaced and signed again")
            : new WitnessVerdict(key.Name, "rewrite", witnessed.Size, time,
                $"REWRITE: {key.Name} cosigned {witnessed.Size} entries with root {Convert.ToBase64String(witnessed.Root)} at {at}; this vault's first {witnessed.Size} entries have another root and it agrees with no checkpoint the witness cosigned: its history was rewritten and signed again");
    }

    private static async Task<long?> NewestAgreedAsync(Vault vault, CosignerKey key, long below, CancellationToken cancellationToken)
    {
        var sizes = await vault.Objects.ListNotesAsync(Storage.PublishedSeries.Cosignatures(key.Fingerprint), cancellationToken).ConfigureAwait(false);
        foreach (var size in sizes.Where(s => s < below && s <= vault.Ledger.Size).Reverse())
        {
            // The published checkpoint may be rewritten too: the cosignature decides, over the vault's own root.
            var line = await vault.Objects.ReadNoteAsync(Storage.PublishedSeries.Cosignatures(key.Fingerprint), size, cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                continue;
            }

            var body = Checkpoints.Checkpoint.Body(vault.Identity.Origin, size, MerkleProofs.Root(vault.Ledger, size));
            if (key.Verify(body, line.Split('\n', StringSplitOptions.RemoveEmptyEntries), out _) is not null)
            {
                return size;
            }
        }

        return null;
    }
}
