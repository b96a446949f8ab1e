using EvidenceVault.Custody;
using EvidenceVault.Custody.Commands;
using EvidenceVault.Custody.Ingest;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Storage;
using EvidenceVault.DeviceAgent.Profiles;
using FluentValidation;
using NodaTime;
using NodaTime.Text;
using Serilog;

namespace EvidenceVault.DeviceAgent.Ingest;

/// <summary>What became of one file on a docked camera.</summary>
/// <param name="Status">in-custody (taken now), already-in-custody (taken at an earlier dock; not read again), or failed.</param>
/// <param name="BytesRead">Bytes read from the camera for this file by this dock: its size once, or 0 when already in custody.</param>
public sealed record ClipOutcome(string FileName, string? DeviceSerial, string? Sha256, long? Size, long BytesRead, string Status, IReadOnlyList<string> Flags, string? Error, long? LedgerIndex)
{
    public const string InCustody = "in-custody";
    public const string AlreadyInCustody = "already-in-custody";
    public const string Failed = "failed";

    public bool Custodied => Status is InCustody or AlreadyInCustody;
}

/// <summary>
/// Takes every file of one docked camera into custody: each is read exactly once, hashed while it
/// streams into the store's spool, renamed into place, then ledgered (R1: within 24 h; R5: the
/// original unchanged). Files already in custody from an earlier dock are not read again. A failing
/// file is named and the rest go on. Deleting from the camera happens only when configured and only
/// after the batch's checkpoint is signed and each stored object is confirmed.
/// </summary>
public sealed class CameraIngest(Vault vault, ISender sender, DeviceProfile profile, IngestProgress progress)
{
    private const int ClipsInFlight = 2;

    private static readonly ClipFactsValidator FactsRule = new();

    /// <summary>Into S3 an upload waits on the network and the gateway: more clips in flight keep the camera link busy (docs/benchmarks.md).</summary>
    private const int ClipsInFlightToS3 = 4;

    public async Task<IReadOnlyList<ClipOutcome>> RunAsync(DockedCamera camera, bool deleteAfterCustody, CancellationToken cancellationToken = default)
    {
        var files = CameraVolume.Files(camera.Volume).ToList();
        var cameraFlags = CameraFlags(camera);
        progress.CameraStarted(camera, files.Count, files.Sum(f => f.Length));
        // Clips in flight: while one waits for its fsync or the network, the next is read and hashed,
        // so the camera link, the CPU and the disk stay busy together. A stored clip's custody entry
        // is written beside the next uploads rather than holding a lane (the first commit of a run
        // can take a second; docs/benchmarks.md).
        var results = new ClipOutcome[files.Count];
        var recording = new List<Task>();
        var stopped = false;
        try
        {
            await Parallel.ForEachAsync(
                Enumerable.Range(0, files.Count),
                new ParallelOptions { MaxDegreeOfParallelism = vault.IsDeployment ? ClipsInFlightToS3 : ClipsInFlight, CancellationToken = cancellationToken },
                async (i, token) =>
                {
                    var stored = await StoreFileAsync(camera, files[i], cameraFlags, token).ConfigureAwait(false);
                    if (stored.Done is { } done)
                    {
                        results[i] = done;
                        progress.ClipFinished(camera, done);
                        return;
                    }

                    lock (recording)
                    {
                        recording.Add(Task.Run(
                            async () =>
                            {
                                results[i] = await RecordFileAsync(camera, stored, CancellationToken.None).ConfigureAwait(false);
                                progress.ClipFinished(camera, results[i]);
                            },
                            CancellationToken.None));
                    }
                }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            stopped = true;
        }
        finally
        {
            // Even when the dock is stopped mid-way, every clip already stored gets its entry (or its error).
            await Task.WhenAll(recording).ConfigureAwait(false);
        }

        if (stopped)
        {
            // Stopped mid-camera (the service's stop): what was stored gets its signed checkpoint now,
            // not at the next dock; the rest stays on the camera.
            await vault.CheckpointAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        var outcomes = results.ToList();

        // One signed checkpoint for the dock's batch, published before anything leaves the camera.
        await vault.CheckpointAsync(cancellationToken).ConfigureAwait(false);
        if (deleteAfterCustody)
        {
            await DeleteFromCameraAsync(camera, files, outcomes, cancellationToken).ConfigureAwait(false);
        }

        progress.CameraFinished(camera, outcomes);
        return outcomes;
    }

    /// <summary>A file read from the camera into the store, waiting for its custody entry; or, when <see cref="Done"/> is set, what became of it already.</summary>
    private sealed record StoredFile(string Name, string? Serial, ClipFacts? Facts, StoredObject? Stored, long BytesRead, ClipOutcome? Done);

    private async Task<StoredFile> StoreFileAsync(DockedCamera camera, FileInfo file, IReadOnlyList<string> cameraFlags, CancellationToken cancellationToken)
    {
        // The name is untrusted: it is recorded verbatim and never becomes a path in the vault.
        var name = Path.GetRelativePath(camera.Volume, file.FullName).Replace(Path.DirectorySeparatorChar, '/');
        var parsed = profile.ParseName(file.Name);
        var serial = camera.Serial ?? parsed?.Serial;
        var listedSize = file.Length;
        try
        {
            if (!Custody.Storage.Posix.IsRegularFile(file.FullName))
            {
                Log.Error("{Camera}: {FileName} is not a regular file (FIFO, device or socket) and was not read", serial ?? camera.Volume, name);
                return new StoredFile(name, serial, null, null, 0, new ClipOutcome(name, serial, null, null, 0, ClipOutcome.Failed, [], "not a regular file (FIFO, device or socket): not read", null));
            }

            if (vault.Clips.InCustody(serial, name, listedSize) is { } known)
            {
                return new StoredFile(name, serial, null, null, 0, new ClipOutcome(name, serial, known.ToHex(), listedSize, 0, ClipOutcome.AlreadyInCustody, [], null, null));
            }

            var facts = Facts(camera, name, parsed, serial, listedSize, cameraFlags);
            FactsRule.ValidateAndThrow(facts); // before a byte is read, as the IngestClip command does
            await using var source = new CountingStream(
                new FileStream(file.FullName, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite, BufferSize = 0, Options = FileOptions.SequentialScan }),
                read => progress.BytesRead(camera, read));
            // Read once, hashed while it streams into the store; nothing is ledgered unless it is stored whole (R1, R5).
            var stored = await vault.Objects.PutAsync(source, cancellationToken).ConfigureAwait(false);
            return new StoredFile(name, serial, facts, stored, source.BytesRead, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FluentValidation.ValidationException or VaultException)
        {
            return new StoredFile(name, serial, null, null, 0, Failed(camera, name, serial, listedSize, e));
        }
    }

    private async Task<ClipOutcome> RecordFileAsync(DockedCamera camera, StoredFile file, CancellationToken cancellationToken)
    {
        var (name, serial, facts, stored) = (file.Name, file.Serial, file.Facts!, file.Stored!);
        try
        {
            var result = await sender.Send(new RecordStoredOriginal(stored, facts), cancellationToken).ConfigureAwait(false);
            Log.Information("{Camera}: {FileName} in custody as {Sha256} ({Size} bytes, ledger entry {Index})", serial ?? camera.Volume, name, result.Sha256.ToHex(), result.Size, result.LedgerIndex);
            return new ClipOutcome(name, serial, result.Sha256.ToHex(), result.Size, file.BytesRead, result.AlreadyInCustody ? ClipOutcome.AlreadyInCustody : ClipOutcome.InCustody, result.Flags, null, result.LedgerIndex);
        }
        catch (Exception e) when (e is IOException or FluentValidation.ValidationException or VaultException)
        {
            return Failed(camera, name, serial, facts.SizeOnCamera, e);
        }
    }

    private static ClipOutcome Failed(DockedCamera camera, string name, string? serial, long? listedSize, Exception e)
    {
        Log.Error("{Camera}: {FileName} is NOT in custody: {Reason}", serial ?? camera.Volume, name, e.Message);
        return new ClipOutcome(name, serial, null, listedSize, 0, ClipOutcome.Failed, [], e.Message, null);
    }

    private ClipFacts Facts(DockedCamera camera, string name, ClipName? parsed, string? serial, long listedSize, IReadOnlyList<string> cameraFlags)
    {
        List<string> flags = [.. cameraFlags];
        if (parsed is null)
        {
            flags.Add(ClipFlags.UnparsedName);
        }
        else if (camera.Serial is not null && !string.Equals(parsed.Serial, camera.Serial, StringComparison.OrdinalIgnoreCase))
        {
            flags.Add(ClipFlags.SerialMismatch);
        }

        if (listedSize == 0)
        {
            flags.Add(ClipFlags.Empty);
        }

        string? recordedStart = null;
        if (parsed is not null)
        {
            // The camera's clock read parsed.Start; the true start is that minus the measured offset.
            var raw = parsed.Start.InZoneLeniently(profile.Zone).ToInstant();
            var corrected = camera.ClockOffsetSeconds is { } offset ? raw - Duration.FromSeconds(offset) : raw;
            recordedStart = InstantPattern.ExtendedIso.Format(corrected);
        }

        return new ClipFacts
        {
            FileName = name,
            DeviceSerial = serial,
            OfficerId = camera.OfficerId ?? parsed?.Officer,
            OfficerName = camera.OfficerName,
            UnitId = camera.UnitId,
            UnitName = camera.UnitName,
            RecordedStartLocal = parsed is null ? null : LocalDateTimePattern.ExtendedIso.Format(parsed.Start),
            TimeZone = parsed is null ? null : profile.TimeZone,
            ClockOffsetSeconds = camera.ClockOffsetSeconds,
            RecordedStart = recordedStart,
            Sequence = parsed?.Sequence,
            Important = parsed?.Important ?? false,
            SizeOnCamera = listedSize,
            Flags = flags,
        };
    }

    /// <summary>GA/T 947.2 allows about 3 s of drift a day: a larger offset since the last dock is flagged on every clip.</summary>
    private List<string> CameraFlags(DockedCamera camera)
    {
        if (camera is not { ClockOffsetSeconds: { } offset, Serial: { } serial })
        {
            return [];
        }

        var last = vault.Clips.LastIngestFrom(serial);
        var days = last is { } when ? Math.Max(1, (vault.Clock.GetCurrentInstant() - when).TotalDays) : 1;
        return Math.Abs(offset) > profile.ClockDriftAllowanceSecondsPerDay * days + 1 ? [ClipFlags.ClockOffsetExceedsAllowance] : [];
    }

    private async Task DeleteFromCameraAsync(DockedCamera camera, List<FileInfo> files, List<ClipOutcome> outcomes, CancellationToken cancellationToken)
    {
        for (var i = 0; i < files.Count; i++)
        {
            // Verified custody first: the object must be in the store with the size the ledger recorded.
            if (!outcomes[i].Custodied || outcomes[i] is not { Sha256: { } hex, Size: { } size } ||
                await vault.Objects.SizeAsync(Sha256Digest.ParseHex(hex), cancellationToken).ConfigureAwait(false) is not { } stored || stored != size ||
                files[i].Length != size)
            {
                Log.Warning("{Volume}: {FileName} stays on the camera: its custody is not verified", camera.Volume, outcomes[i].FileName);
                continue;
            }

            files[i].Delete();
        }
    }
}
