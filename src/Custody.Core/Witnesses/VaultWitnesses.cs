using System.Globalization;
using System.Net;
using System.Text;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Merkle;
using EvidenceVault.Custody.Storage;
using EvidenceVault.Custody.Verifier;

namespace EvidenceVault.Custody.Witnesses;

/// <summary>A witness the ledger names (a proven <c>WitnessAdded</c> entry), and whether a later entry removed it.</summary>
public sealed record ConfiguredWitness(CosignerKey Key, Uri Url, long AddedBy, bool Removed);

/// <summary>What a witness last cosigned for this vault, as published beside the checkpoints.</summary>
public sealed record WitnessStatus(string Name, string Key, string Url, long? CosignedSize, long? CosignedAt, long CheckpointSize, string? LastOffer);

/// <summary>
/// The vault's side of tlog-witness (c2sp.org/tlog-witness): every new checkpoint is offered to
/// each configured witness with a consistency proof from the newest one that witness cosigned;
/// the cosignatures come back verified and are published write-once in the object store, one
/// series per witness (<see cref="PublishedSeries.Cosignatures"/>). A witness that is down never
/// blocks the vault: offers run beside ingest, fail quietly, and the next offer (the next checkpoint,
/// the worker's timer, <c>custody witness sync</c>) carries it up to date in one step.
/// </summary>
public sealed class VaultWitnesses(Vault vault, TimeSpan timeout)
{
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly object _gate = new();
    private readonly Dictionary<string, string> _lastOffer = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _offering = new(1, 1);
    private readonly Dictionary<string, (long Size, long Time, string Line)> _latest = new(StringComparer.Ordinal);
    private Task _running = Task.CompletedTask;
    private bool _again;

    /// <summary>Every witness a proven entry ever added, oldest first; removed ones are flagged, not dropped.</summary>
    public IReadOnlyList<ConfiguredWitness> EverConfigured()
    {
        var witnesses = new List<ConfiguredWitness>();
        // Through the subject index: this runs after every checkpoint, and a scan by type would read the whole ledger.
        foreach (var row in vault.Ledger.Entries(Subjects.Witnesses))
        {
            // Trust nothing but the verified ledger: the row only says where to look.
            if (vault.Proven.Entry(row.Index, out _) is not { } entry)
            {
                continue;
            }

            if (entry.Type is not (EntryTypes.WitnessAdded or EntryTypes.WitnessRemoved))
            {
                continue;
            }

            if (entry.Type == EntryTypes.WitnessAdded)
            {
                var added = PayloadJson.Deserialize<WitnessAddedPayload>(entry.Payload);
                witnesses.RemoveAll(w => w.Key.Text == added.Key && w.Removed);
                witnesses.Add(new ConfiguredWitness(CosignerKey.Parse(added.Key), new Uri(added.Url), entry.Index, Removed: false));
            }
            else
            {
                var removed = PayloadJson.Deserialize<WitnessRemovedPayload>(entry.Payload);
                var at = witnesses.FindIndex(w => w.Key.Text == removed.Key && !w.Removed);
                if (at >= 0)
                {
                    witnesses[at] = witnesses[at] with { Removed = true };
                }
            }
        }

        return witnesses;
    }

    public IReadOnlyList<ConfiguredWitness> Configured() => [.. EverConfigured().Where(w => !w.Removed)];

    /// <summary>Starts an offer round beside the caller (after a checkpoint); one round at a time, one more if asked meanwhile.</summary>
    public void Nudge()
    {
        lock (_gate)
        {
            if (!_running.IsCompleted)
            {
                _again = true;
                return;
            }

            if (Configured().Count == 0)
            {
                return;
            }

            _running = Task.Run(RoundsAsync);
        }
    }

    /// <summary>Waits (bounded) for the round under way, so a short-lived program delivers its last checkpoint.</summary>
    public void Settle()
    {
        Task running;
        lock (_gate)
        {
            running = _running;
        }

        _ = running.Wait(timeout * 2);
    }

    /// <summary>Offers the newest checkpoint to every configured witness now; returns what each answered.</summary>
    public async Task<IReadOnlyList<WitnessStatus>> OfferAsync(CancellationToken cancellationToken = default)
    {
        // One offer at a time in this process: two would race each other to the witness's 409.
        await _offering.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var witness in Configured())
            {
                var outcome = await OfferOneAsync(witness, cancellationToken).ConfigureAwait(false);
                lock (_lastOffer)
                {
                    _lastOffer[witness.Key.Text] = outcome;
                }
            }
        }
        finally
        {
            _offering.Release();
        }

        return await StatusAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<WitnessStatus>> StatusAsync(CancellationToken cancellationToken = default)
    {
        var checkpoint = vault.Ledger.LatestCheckpointNote()?.Size ?? 0;
        var statuses = new List<WitnessStatus>();
        foreach (var witness in Configured())
        {
            var latest = await LatestCosignedAsync(witness.Key, cancellationToken).ConfigureAwait(false);
            string? last;
            lock (_lastOffer)
            {
                last = _lastOffer.GetValueOrDefault(witness.Key.Text);
            }

            statuses.Add(new WitnessStatus(witness.Key.Name, witness.Key.Text, witness.Url.ToString(), latest?.Size, latest?.Time, checkpoint, last));
        }

        return statuses;
    }

    /// <summary>The newest checkpoint this witness cosigned as published here, its cosignature checked; null if none.</summary>
    public async Task<(long Size, long Time, string Line)?> LatestCosignedAsync(CosignerKey key, CancellationToken cancellationToken = default)
    {
        // Listed once per process, then kept as this process publishes: a series grows by one per
        // checkpoint, and an offer a second must not list it whole (S3 lists a thousand keys a call).
        lock (_latest)
        {
            if (_latest.TryGetValue(key.Text, out var known))
            {
                return known;
            }
        }

        var sizes = await vault.Objects.ListNotesAsync(PublishedSeries.Cosignatures(key.Fingerprint), cancellationToken).ConfigureAwait(false);
        foreach (var size in sizes.Reverse())
        {
            if (await CosignatureAsync(key, size, cancellationToken).ConfigureAwait(false) is { } found)
            {
                Remember(key, (size, found.Time, found.Line));
                return (size, found.Time, found.Line);
            }
        }

        return null;
    }

    private void Remember(CosignerKey key, (long Size, long Time, string Line) cosigned)
    {
        lock (_latest)
        {
            if (!_latest.TryGetValue(key.Text, out var known) || known.Size < cosigned.Size)
            {
                _latest[key.Text] = cosigned;
            }
        }
    }

    /// <summary>The witness's published cosignature of the checkpoint of <paramref name="size"/>, checked against that checkpoint.</summary>
    public async Task<(long Time, string Line)?> CosignatureAsync(CosignerKey key, long size, CancellationToken cancellationToken = default)
    {
        var line = await vault.Objects.ReadNoteAsync(PublishedSeries.Cosignatures(key.Fingerprint), size, cancellationToken).ConfigureAwait(false);
        var note = await vault.Objects.ReadCheckpointAsync(size, cancellationToken).ConfigureAwait(false);
        if (line is null || note is null || NoteParts.Split(note) is not { } parts)
        {
            return null;
        }

        var lines = line.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return key.Verify(parts.Body, lines, out _) is { } time ? (time, lines[0]) : null;
    }

    /// <summary>The published cosignature lines of the checkpoint of <paramref name="size"/> by these witnesses, each checked.</summary>
    public async Task<IReadOnlyList<string>> CosignatureLinesAsync(long size, IEnumerable<CosignerKey> witnesses, CancellationToken cancellationToken = default)
    {
        var lines = new List<string>();
        foreach (var key in witnesses)
        {
            if (await CosignatureAsync(key, size, cancellationToken).ConfigureAwait(false) is { } found)
            {
                lines.Add(found.Line);
            }
        }

        return lines;
    }

    private async Task RoundsAsync()
    {
        while (true)
        {
            // A witness needs only the newest checkpoint: under a burst of checkpoints (one per
            // ingest batch) one round a second carries them all (docs/benchmarks.md, issue 20).
            var wait = _lastRound is { } last ? RoundSpacing - last.Elapsed : TimeSpan.Zero;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait).ConfigureAwait(false);
            }

            _lastRound = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                await OfferAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Never the vault's failure: the next offer tries again.
                Serilog.Log.Warning(e, "Offering the checkpoint to the witnesses failed");
            }

            lock (_gate)
            {
                if (!_again)
                {
                    return;
                }

                _again = false;
            }
        }
    }

    private static readonly TimeSpan RoundSpacing = TimeSpan.FromSeconds(1);
    private System.Diagnostics.Stopwatch? _lastRound;

    private async Task<string> OfferOneAsync(ConfiguredWitness witness, CancellationToken cancellationToken)
    {
        if (vault.Ledger.LatestCheckpointNote() is not { } checkpoint || checkpoint.Size > vault.Ledger.Size)
        {
            return "no checkpoint to offer";
        }

        var known = (await LatestCosignedAsync(witness.Key, cancellationToken).ConfigureAwait(false))?.Size ?? 0;
        if (known == checkpoint.Size)
        {
            return $"cosigned {known}";
        }

        var old = known > checkpoint.Size ? 0 : known;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            HttpResponseMessage response;
            string body;
            try
            {
                using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeoutSource.CancelAfter(timeout);
                using var content = new StringContent(Request(old, checkpoint.Size, checkpoint.Note), Encoding.UTF8, "text/plain");
                response = await Http.PostAsync(Endpoint(witness.Url, "add-checkpoint"), content, timeoutSource.Token).ConfigureAwait(false);
                body = await response.Content.ReadAsStringAsync(timeoutSource.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                Serilog.Log.Warning("Witness {Witness} at {Url} did not answer the checkpoint of size {Size}: {Error}", witness.Key.Name, witness.Url, checkpoint.Size, e.Message);
                return $"unreachable: {e.Message}";
            }

            using (response)
            {
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var checkpointBody = NoteParts.Split(checkpoint.Note)!.Body;
                    var ours = body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => witness.Key.Verify(checkpointBody, [l], out _) is not null).ToList();
                    if (ours.Count == 0)
                    {
                        Serilog.Log.Error("Witness {Witness} answered without a valid cosignature by its configured key", witness.Key.Name);
                        return "answered without a valid cosignature";
                    }

                    try
                    {
                        await vault.Objects.PublishNoteAsync(PublishedSeries.Cosignatures(witness.Key.Fingerprint), checkpoint.Size, ours[0] + "\n", cancellationToken).ConfigureAwait(false);
                    }
                    catch (InvalidOperationException)
                    {
                        // Another node of this vault may have published this witness's cosignature of the same checkpoint first (another time line).
                        if (await CosignatureAsync(witness.Key, checkpoint.Size, cancellationToken).ConfigureAwait(false) is null)
                        {
                            throw;
                        }
                    }

                    if (await CosignatureAsync(witness.Key, checkpoint.Size, cancellationToken).ConfigureAwait(false) is { } published)
                    {
                        Remember(witness.Key, (checkpoint.Size, published.Time, published.Line));
                    }

                    Serilog.Log.Information("Witness {Witness} cosigned the checkpoint of size {Size}", witness.Key.Name, checkpoint.Size);
                    return $"cosigned {checkpoint.Size}";
                }

                if (response.StatusCode == HttpStatusCode.Conflict && response.Content.Headers.ContentType?.MediaType == "text/x.tlog.size" &&
                    long.TryParse(body.TrimEnd('\n'), NumberStyles.None, CultureInfo.InvariantCulture, out var theirs) && theirs != old)
                {
                    if (theirs > checkpoint.Size)
                    {
                        // The witness saw a larger tree than this vault now holds: a rollback, or another node ahead.
                        Serilog.Log.Error("Witness {Witness} already cosigned size {Theirs}, larger than this vault's newest checkpoint {Size}: run custody verify --witness-key", witness.Key.Name, theirs, checkpoint.Size);
                        return $"refused: the witness cosigned size {theirs}, more than this vault's {checkpoint.Size}";
                    }

                    old = theirs; // its newest is one this vault did not keep (another node, a lost write): prove from there
                    continue;
                }

                Serilog.Log.Error("Witness {Witness} refused the checkpoint of size {Size} (old {Old}): {Status} {Body}", witness.Key.Name, checkpoint.Size, old, (int)response.StatusCode, body.Trim());
                return $"refused: {(int)response.StatusCode} {body.Trim()}";
            }
        }

        return "refused: the witness's size kept changing";
    }

    /// <summary>A call under the witness's URL prefix, whether or not it was written with a final slash.</summary>
    internal static Uri Endpoint(Uri prefix, string call) =>
        new(prefix.AbsoluteUri.EndsWith('/') ? prefix : new Uri(prefix.AbsoluteUri + "/"), call);

    private string Request(long old, long size, string note)
    {
        var request = new StringBuilder("old ").Append(old.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (old > 0)
        {
            foreach (var hash in MerkleProofs.Consistency(vault.Ledger, old, size))
            {
                request.Append(hash.ToBase64()).Append('\n');
            }
        }

        return request.Append('\n').Append(note).ToString();
    }
}
