using System.Threading.Channels;
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
/// streams into the store's spool, stored (renamed into place, or uploaded), then ledgered (R1: within 24 h; R5: the
/// original unchanged). Files already in custody from an earlier dock are not read again. A failing
/// file is named and the rest go on. Deleting from the camera happens only when configured and only
/// after the batch's checkpoint is signed and each stored object is confirmed.
/// </summary>
public sealed class CameraIngest(Vault vault, ISender sender, DeviceProfile profile, IngestProgress progress)
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
        var files = CameraVolume.Files(camera.Volume).ToList();
        var cameraFlags = CameraFlags(camera);
        progress.CameraStarted(camera, files.Count, files.Sum(f => f.Length));
        var results = new ClipOutcome[files.Count];
        void Finish(int index, ClipOutcome outcome)
        {
            results[index] = outcome;
            progress.ClipFinished(camera, outcome);
        }

        // The camera is read in order (two files at a time into the folder, one into S3), each hashed into
        // the spool while the clips before it are stored (uploads wait on the network and the gateway,
        // fsyncs on the disk). When each of four lanes read its clip and then uploaded it, clips of one
        // size finished uploading together and were then all read together, leaving no upload in
        // flight for a tenth of the dock (docs/benchmarks.md). A stored clip's custody entry is written
        // beside the next stores rather than holding one up (the first commit of a run can take a second).
        var spooled = Channel.CreateBounded<SpooledFile>(new BoundedChannelOptions(ClipsReadAhead));
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reading = ReadCameraAsync(camera, files, cameraFlags, Finish, spooled.Writer, stopReading.Token);
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
        await vault.CheckpointAsync(cancellationToken).ConfigureAwait(false);
        if (deleteAfterCustody)
        {
            await DeleteFromCameraAsync(camera, files, outcomes, cancellationToken).ConfigureAwait(false);
        }

        progress.CameraFinished(camera, outcomes);
        return outcomes;
    }

    /// <summary>A camera file read into the store's spool, waiting to be stored and then ledgered.</summary>
    private sealed record SpooledFile(int Index, string Name, string? Serial, ClipFacts Facts, SpooledObject Spooled, long BytesRead);

    /// <summary>
    /// Reads the camera's files in order into the spool, <see cref="CameraReaders"/> at a time (<see cref="CameraReadersToS3"/> into S3), handing
    /// each on; a file that cannot be taken gets its outcome here.
    /// </summary>
    private async Task ReadCameraAsync(DockedCamera camera, List<FileInfo> files, IReadOnlyList<string> cameraFlags, Action<int, ClipOutcome> finish, ChannelWriter<SpooledFile> spooled, CancellationToken cancellationToken)
    {
        var next = -1;
        async Task ReadAsync()
        {
            await Task.Yield();
            for (var i = Interlocked.Increment(ref next); i < files.Count; i = Interlocked.Increment(ref next))
            {
                var (file, done) = await SpoolFileAsync(camera, i, files[i], cameraFlags, cancellationToken).ConfigureAwait(false);
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

    private async Task<(SpooledFile? File, ClipOutcome? Done)> SpoolFileAsync(DockedCamera camera, int index, FileInfo file, IReadOnlyList<string> cameraFlags, CancellationToken cancellationToken)
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
                return (null, new ClipOutcome(name, serial, null, null, 0, ClipOutcome.Failed, [], "not a regular file (FIFO, device or socket): not read", null));
            }

            if (vault.Clips.InCustody(serial, name, listedSize) is { } known)
            {
                return (null, new ClipOutcome(name, serial, known.ToHex(), listedSize, 0, ClipOutcome.AlreadyInCustody, [], null, null));
            }

            var facts = Facts(camera, name, parsed, serial, listedSize, cameraFlags);
            FactsRule.ValidateAndThrow(facts); // before a byte is read, as the IngestClip command does
            await using var source = new CountingStream(
                new FileStream(file.FullName, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite, BufferSize = 0, Options = FileOptions.SequentialScan }),
                read => progress.BytesRead(camera, read));
            // Read once, hashed while it streams into the store's spool; nothing is ledgered unless it is stored whole (R1, R5).
            var spooled = await vault.Objects.SpoolAsync(source, cancellationToken).ConfigureAwait(false);
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
