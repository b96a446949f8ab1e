using MediatR;
using System.Threading.Channels;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Hosting;
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
/// <param name="Status">
/// in-custody (taken now), already-in-custody (read again and found to be the very original an earlier
/// dock took), skipped-symlink (a link: never followed, nothing read), or failed.
/// </param>
/// <param name="BytesRead">Bytes read from the camera for this file by this dock: its size once, or 0 when nothing was read.</param>
public sealed record ClipOutcome(string FileName, string? DeviceSerial, string? Sha256, long? Size, long BytesRead, string Status, IReadOnlyList<string> Flags, string? Error, long? LedgerIndex)
{
    public const string InCustody = "in-custody";
    public const string AlreadyInCustody = "already-in-custody";
    public const string SkippedSymlink = "skipped-symlink";
    public const string Failed = "failed";

    public bool Custodied => Status is InCustody or AlreadyInCustody;
}

/// <summary>
/// Takes every file of one docked camera into custody: each is read exactly once, hashed while it
/// streams into the store's spool, stored (renamed into place, or uploaded), then ledgered (R1: within 24 h; R5: the
/// original unchanged). Every file is read, even one an earlier dock took: the only evidence accepted
/// that a file is already in custody is its SHA-256 read now (docs/dock.md). A failing file is named
/// and the rest go on. Deleting from the camera happens only when configured and only after the
/// batch's checkpoint is signed and each file's bytes read in this dock are confirmed in custody.
/// </summary>
public sealed class CameraIngest(Vault vault, IMediator sender, DeviceProfile profile, IngestProgress progress)
{
    private static readonly ClipFactsValidator FactsRule = new();

    /// <summary>Clips being stored at once into the embedded folder: one waits for its fsync while the next is moved into place.</summary>
    private const int ClipsStoring = 2;

    /// <summary>Into S3 a store waits on the network and the gateway: more uploads at once keep the gateway busy (docs/benchmarks.md).</summary>
    private const int ClipsStoringToS3 = 4;

    /// <summary>Clips read into the spool ahead of the ones being stored, so a finished store finds its next clip waiting.</summary>
    private const int ClipsReadAhead = 2;

    /// <summary>
    /// Camera files read at once, in order, into the embedded folder: one reader left a cold disk's
    /// queue half empty while the same disk took the fsyncs (the embedded dock went from 0.9x to 3.5x
    /// cp+sync); more would scatter a USB link's reads (docs/benchmarks.md).
    /// </summary>
    private const int CameraReaders = 2;

    /// <summary>Into S3 one reader keeps ahead of four uploads: 1.08x and 1.09x rclone with one, 1.05x with two (docs/benchmarks.md).</summary>
    private const int CameraReadersToS3 = 1;

    public async Task<IReadOnlyList<ClipOutcome>> RunAsync(DockedCamera camera, bool deleteAfterCustody, CancellationToken cancellationToken = default)
    {
        RefuseVaultOverlap(camera.Volume);
        using var volume = CameraVolume.Open(camera.Volume);
        var files = volume.List();
        FaultPoints.Reach("camera-listed");
        var cameraFlags = CameraFlags(camera);
        var regular = files.Where(f => f.Kind == CameraEntryKind.Regular).ToList();
        progress.CameraStarted(camera, regular.Count, regular.Sum(f => f.Length));
        var results = new ClipOutcome[files.Count];
        void Finish(int index, ClipOutcome outcome)
        {
            results[index] = outcome;
            progress.ClipFinished(camera, outcome);
        }

        for (var i = 0; i < files.Count; i++)
        {
            if (NotReadable(camera, files[i]) is { } outcome)
            {
                results[i] = outcome;
            }
        }

        // The camera is read in order (two files at a time into the folder, one into S3), each hashed into
        // the spool while the clips before it are stored (uploads wait on the network and the gateway,
        // fsyncs on the disk). When each of four lanes read its clip and then uploaded it, clips of one
        // size finished uploading together and were then all read together, leaving no upload in
        // flight for a tenth of the dock (docs/benchmarks.md). A stored clip's custody entry is written
        // beside the next stores rather than holding one up (the first commit of a run can take a second).
        var spooled = Channel.CreateBounded<SpooledFile>(new BoundedChannelOptions(ClipsReadAhead));
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reading = ReadCameraAsync(camera, volume, files, cameraFlags, Finish, spooled.Writer, stopReading.Token);
        var recording = new List<Task>();
        var stopped = false;
        try
        {
            await Parallel.ForEachAsync(
                spooled.Reader.ReadAllAsync(cancellationToken),
                new ParallelOptions { MaxDegreeOfParallelism = vault.IsDeployment ? ClipsStoringToS3 : ClipsStoring, CancellationToken = cancellationToken },
                async (file, token) =>
                {
                    StoredObject stored;
                    try
                    {
                        stored = await vault.Objects.StoreAsync(file.Spooled, token).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException or VaultException)
                    {
                        Finish(file.Index, Failed(camera, file.Name, file.Serial, file.Facts.SizeOnCamera, e));
                        return;
                    }

                    lock (recording)
                    {
                        recording.Add(Task.Run(
                            async () => Finish(file.Index, await RecordFileAsync(camera, file, stored, CancellationToken.None).ConfigureAwait(false)),
                            CancellationToken.None));
                    }
                }).ConfigureAwait(false);
            await reading.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            stopped = true;
        }
        finally
        {
            // Whatever was read but not stored leaves the spool; it is still on the camera.
            await stopReading.CancelAsync().ConfigureAwait(false);
            await reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            while (spooled.Reader.TryRead(out var left))
            {
                left.Spooled.Dispose();
            }

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
        try
        {
            await vault.CheckpointAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or VaultException || Custody.Storage.Posix.IsDiskFull(e))
        {
            // The entries are committed; the next checkpoint covers them. Nothing is deleted without one.
            Log.Error("{Camera}: the dock's checkpoint could not be signed ({Reason}); nothing is deleted from the camera", camera.Serial ?? camera.Volume, e.Message);
            progress.CameraFinished(camera, outcomes);
            return outcomes;
        }

        if (deleteAfterCustody)
        {
            await DeleteFromCameraAsync(camera, volume, files, outcomes, cancellationToken).ConfigureAwait(false);
        }

        progress.CameraFinished(camera, outcomes);
        return outcomes;
    }

    /// <summary>
    /// A volume that is the vault's folder, holds it or lies inside it is not a camera: ingesting it would
    /// take the vault's own key and catalog as evidence, and deleting after custody would destroy them.
    /// </summary>
    private void RefuseVaultOverlap(string path)
    {
        var volume = VolumeCalls.RealPath(path).TrimEnd('/') + "/";
        var data = VolumeCalls.RealPath(vault.DataDirectory).TrimEnd('/') + "/";
        if (volume.StartsWith(data, StringComparison.Ordinal) || data.StartsWith(volume, StringComparison.Ordinal))
        {
            throw new VaultException($"Volume {path} {(volume == data ? "is" : volume.StartsWith(data, StringComparison.Ordinal) ? "lies inside" : "contains")} the vault at {vault.DataDirectory}: it is not a camera and is not ingested.");
        }
    }

    /// <summary>A camera file read into the store's spool, waiting to be stored and then ledgered.</summary>
    private sealed record SpooledFile(int Index, string Name, string? Serial, ClipFacts Facts, SpooledObject Spooled, long BytesRead);

    /// <summary>
    /// Reads the camera's files in order into the spool, <see cref="CameraReaders"/> at a time (<see cref="CameraReadersToS3"/> into S3), handing
    /// each on; a file that cannot be taken gets its outcome here.
    /// </summary>
    private async Task ReadCameraAsync(DockedCamera camera, CameraVolume volume, List<CameraFile> files, IReadOnlyList<string> cameraFlags, Action<int, ClipOutcome> finish, ChannelWriter<SpooledFile> spooled, CancellationToken cancellationToken)
    {
        var readable = Enumerable.Range(0, files.Count).Where(i => files[i].Kind == CameraEntryKind.Regular).ToList();
        var next = -1;
        async Task ReadAsync()
        {
            await Task.Yield();
            for (var n = Interlocked.Increment(ref next); n < readable.Count; n = Interlocked.Increment(ref next))
            {
                var i = readable[n];
                var (file, done) = await SpoolFileAsync(camera, volume, i, files[i], cameraFlags, cancellationToken).ConfigureAwait(false);
                if (done is not null)
                {
                    finish(i, done);
                    continue;
                }

                try
                {
                    await spooled.WriteAsync(file!, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    file!.Spooled.Dispose();
                    throw;
                }
            }
        }

        Exception? failure = null;
        try
        {
            await Task.WhenAll(Enumerable.Range(0, vault.IsDeployment ? CameraReadersToS3 : CameraReaders).Select(_ => ReadAsync())).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            failure = e;
            throw;
        }
        finally
        {
            spooled.TryComplete(failure);
        }
    }

    /// <summary>The outcome of an entry that is never read: a link, a FIFO or device, a folder that could not be listed.</summary>
    private ClipOutcome? NotReadable(DockedCamera camera, CameraFile file)
    {
        var serial = camera.Serial ?? profile.ParseName(file.FileName)?.Serial;
        switch (file.Kind)
        {
            case CameraEntryKind.SymbolicLink:
                // A link could point anywhere on the dock PC (the vault's own key once): what it names is not on the camera.
                Log.Warning("{Camera}: {FileName} is a symbolic link and was not followed", serial ?? camera.Volume, file.Name);
                return new ClipOutcome(file.Name, serial, null, null, 0, ClipOutcome.SkippedSymlink, [], "a symbolic link: not followed, nothing read", null);
            case CameraEntryKind.Special:
                Log.Error("{Camera}: {FileName} is not a regular file (FIFO, device or socket) and was not read", serial ?? camera.Volume, file.Name);
                return new ClipOutcome(file.Name, serial, null, null, 0, ClipOutcome.Failed, [], "not a regular file (FIFO, device or socket): not read", null);
            case CameraEntryKind.UnreadableFolder:
                Log.Error("{Camera}: folder {FileName} could not be listed ({Reason}); the files in it are NOT in custody", serial ?? camera.Volume, file.Name, file.Problem);
                return new ClipOutcome(file.Name, serial, null, null, 0, ClipOutcome.Failed, [], $"folder could not be listed ({file.Problem}): the files in it are NOT in custody and stay on the camera", null);
            default:
                return null;
        }
    }

    private async Task<(SpooledFile? File, ClipOutcome? Done)> SpoolFileAsync(DockedCamera camera, CameraVolume volume, int index, CameraFile file, IReadOnlyList<string> cameraFlags, CancellationToken cancellationToken)
    {
        // The name is untrusted: it is recorded verbatim (bytes that are not UTF-8 as \xNN) and never becomes a path in the vault.
        var name = file.Name;
        var parsed = profile.ParseName(file.FileName);
        var serial = camera.Serial ?? parsed?.Serial;
        var listedSize = file.Length;
        try
        {
            var facts = Facts(camera, name, parsed, serial, listedSize, cameraFlags);
            if (!file.NameIsUtf8)
            {
                facts = facts with { Flags = [.. facts.Flags, ClipFlags.NameNotUtf8] };
            }

            FactsRule.ValidateAndThrow(facts); // before a byte is read, as the IngestClip command does
            // Opened below the volume without following a link and without blocking, then checked as opened (issue 17 §4).
            await using var source = new CountingStream(volume.OpenRead(file), read => progress.BytesRead(camera, read));
            // Read once, hashed while it streams into the store's spool; nothing is ledgered unless it is stored whole (R1, R5).
            var spooled = await vault.Objects.SpoolAsync(source, cancellationToken).ConfigureAwait(false);
            FaultPoints.Reach("camera-file-read");
            return (new SpooledFile(index, name, serial, facts, spooled, source.BytesRead), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FluentValidation.ValidationException or VaultException)
        {
            return (null, Failed(camera, name, serial, listedSize, e));
        }
    }

    private async Task<ClipOutcome> RecordFileAsync(DockedCamera camera, SpooledFile file, StoredObject stored, CancellationToken cancellationToken)
    {
        var (name, serial, facts) = (file.Name, file.Serial, file.Facts);
        try
        {
            var result = await sender.Send(new RecordStoredOriginal(stored, facts), cancellationToken).ConfigureAwait(false);
            Log.Information("{Camera}: {FileName} in custody as {Sha256} ({Size} bytes, ledger entry {Index})", serial ?? camera.Volume, name, result.Sha256.ToHex(), result.Size, result.LedgerIndex);
            return new ClipOutcome(name, serial, result.Sha256.ToHex(), result.Size, file.BytesRead, result.AlreadyInCustody ? ClipOutcome.AlreadyInCustody : ClipOutcome.InCustody, result.Flags, null, result.LedgerIndex);
        }
        catch (Exception e) when (e is IOException or FluentValidation.ValidationException or VaultException or Microsoft.Data.Sqlite.SqliteException)
        {
            return Failed(camera, name, serial, facts.SizeOnCamera, e);
        }
    }

    private static ClipOutcome Failed(DockedCamera camera, string name, string? serial, long? listedSize, Exception e)
    {
        // The dock's own disk filling up is said in those words, with the path that could not grow.
        var reason = Custody.Storage.Posix.IsDiskFull(e) && !e.Message.StartsWith("disk full", StringComparison.Ordinal) ? "disk full: " + e.Message : e.Message;
        Log.Error("{Camera}: {FileName} is NOT in custody: {Reason}", serial ?? camera.Volume, name, reason);
        return new ClipOutcome(name, serial, null, listedSize, 0, ClipOutcome.Failed, [], reason, null);
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

    /// <summary>
    /// Deletes a file from the camera only on this dock's own evidence: its bytes were read now, they
    /// hashed to an original whose custody entry is in the signed tree with that digest and size, the
    /// store holds that many bytes under it, and the file on the camera is still the one that was read.
    /// </summary>
    private async Task DeleteFromCameraAsync(DockedCamera camera, CameraVolume volume, List<CameraFile> files, List<ClipOutcome> outcomes, CancellationToken cancellationToken)
    {
        var signed = vault.Ledger.LatestCheckpointNote()?.Size ?? 0;
        for (var i = 0; i < files.Count; i++)
        {
            var outcome = outcomes[i];
            if (!outcome.Custodied || outcome is not { Sha256: { } hex, Size: { } size, LedgerIndex: { } entry } || outcome.BytesRead != size || entry >= signed ||
                !RecordsCustodyOf(entry, hex, size) ||
                await vault.Objects.SizeAsync(Sha256Digest.ParseHex(hex), cancellationToken).ConfigureAwait(false) is not { } stored || stored != size)
            {
                if (files[i].Kind == CameraEntryKind.Regular)
                {
                    Log.Warning("{Volume}: {FileName} stays on the camera: its custody is not verified", camera.Volume, outcome.FileName);
                }

                continue;
            }

            if (volume.Delete(files[i]) is { } why)
            {
                Log.Warning("{Volume}: {FileName} stays on the camera: {Reason}", camera.Volume, outcome.FileName, why);
            }
        }
    }

    /// <summary>The ledger entry itself (not a derived table) says this object, of this size, went into custody.</summary>
    private bool RecordsCustodyOf(long index, string hex, long size)
    {
        var entry = vault.Ledger.Read(index);
        if (entry.Type != EntryTypes.ClipIngested)
        {
            return false;
        }

        var payload = PayloadJson.Deserialize<ClipIngestedPayload>(entry.Payload);
        return payload.Sha256 == hex && payload.Size == size;
    }
}
