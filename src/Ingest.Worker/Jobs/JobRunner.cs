using EvidenceVault.Custody;
using EvidenceVault.Custody.Cases;
using EvidenceVault.Custody.Interruptions;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Work;
using EvidenceVault.Worker.Probe;
using EvidenceVault.Worker.Speech;
using NodaTime;
using Polly;
using Polly.Retry;
using Serilog;

namespace EvidenceVault.Worker.Jobs;

/// <summary>
/// Takes jobs from the vault's work queue and runs them: probe a clip, analyse a resumed clip's
/// opening for speech. Handlers are idempotent (a job delivered twice finds its result ledgered and
/// does nothing), transient failures are retried in-process with backoff and jitter (Polly) and then
/// through the queue, which parks a job with its reason after its last attempt.
/// </summary>
public sealed class JobRunner(Vault vault, string workerId, InterruptionPolicy policy)
{
    private static readonly Duration Lease = Duration.FromMinutes(10);

    private readonly ResiliencePipeline _retry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<IOException>().Handle<TimeoutException>(),
            MaxRetryAttempts = 3,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(200),
        })
        .Build();

    /// <summary>How often the service runs the deadline monitor while idle. Default 15 minutes.</summary>
    public static readonly TimeSpan DeadlineScanInterval = TimeSpan.FromMinutes(15);

    private DateTimeOffset _nextScan = DateTimeOffset.MinValue;

    public int Done { get; private set; }

    public int Parked { get; private set; }

    /// <summary>Runs until cancelled, or with <paramref name="drain"/> until no job is pending.</summary>
    public async Task RunAsync(bool drain, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var item = vault.Work.Claim(workerId, Lease);
            // In a deployment the job's facts may have been appended by another node: read them first.
            vault.Sync();
            if (item is null)
            {
                await vault.CheckpointAsync(cancellationToken).ConfigureAwait(false);
                var next = vault.Work.NextReadyIn();
                if (drain && next is null)
                {
                    return;
                }

                if (!drain)
                {
                    ScanDeadlines();
                }

                var wait = next is { } n && n < Duration.FromSeconds(1) ? n.ToTimeSpan() : TimeSpan.FromSeconds(1);
                await Task.Delay(wait + TimeSpan.FromMilliseconds(10), cancellationToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                await _retry.ExecuteAsync(async token => await HandleAsync(item, token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                vault.Work.Complete(item);
                Done++;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (vault.Work.Fail(item, e.Message))
                {
                    Parked++;
                    Log.Error("Job {Kind} {Subject} parked after {Attempts} attempts: {Reason}", item.Kind, item.Subject, item.Attempts + 1, e.Message);
                }
                else
                {
                    Log.Warning("Job {Kind} {Subject} failed (attempt {Attempt}), will retry: {Reason}", item.Kind, item.Subject, item.Attempts + 1, e.Message);
                }
            }
        }
    }

    /// <summary>The scheduled deadline monitor: findings go to the log (and custody deadlines shows them on demand).</summary>
    private void ScanDeadlines()
    {
        var now = vault.Clock.GetCurrentInstant().ToDateTimeOffset();
        if (now < _nextScan || vault.Policy.ActiveProfileId() is null)
        {
            return;
        }

        _nextScan = now + DeadlineScanInterval;
        // From a replay of the entries, not the derived tables (issue 18 §3).
        var report = Custody.Deadlines.DeadlineMonitor.AsOf(vault, vault.Clock.GetCurrentInstant(), Custody.Policy.WorkingCalendar.Default);
        foreach (var finding in report.Findings)
        {
            // Past due, coming due, or not computable: each logged as what it is (never "late by null").
            if (finding.LateBy is { } late)
            {
                Log.Warning("{Rule} {Subject}: {Message} [{Article}] due {DueAt}, late by {LateBy}", finding.Rule, finding.Subject, finding.Message, finding.Article, finding.DueAt, late);
            }
            else if (finding.DueIn is { } left)
            {
                Log.Information("{Rule} {Subject}: {Message} [{Article}] due {DueAt}, in {DueIn}", finding.Rule, finding.Subject, finding.Message, finding.Article, finding.DueAt, left);
            }
            else
            {
                Log.Warning("{Rule} {Subject}: {Message} [{Article}]", finding.Rule, finding.Subject, finding.Message, finding.Article);
            }
        }

        Log.Information("Deadline monitor ({Profile}): {Findings} findings", report.ProfileId, report.Findings.Count);
    }

    private Task HandleAsync(WorkItem item, CancellationToken cancellationToken) => item.Kind switch
    {
        WorkQueue.Probe => ProbeAsync(Sha256Digest.ParseHex(item.Subject), cancellationToken),
        WorkQueue.Speech => SpeechAsync(Sha256Digest.ParseHex(item.Subject), cancellationToken),
        _ => throw new InvalidOperationException($"Unknown job kind '{item.Kind}'."),
    };

    private async Task ProbeAsync(Sha256Digest sha256, CancellationToken cancellationToken)
    {
        if (vault.Clips.FactsOf("clip_probe", sha256) is not null)
        {
            return; // delivered again: already probed
        }

        using var original = await OriginalAsync(sha256, cancellationToken).ConfigureAwait(false);
        var path = original.Path;
        var sources = vault.Clips.SourcesOf(sha256);
        ClipProbedPayload payload;
        string type;
        try
        {
            payload = await ClipProbe.ProbeAsync(path, sha256, cancellationToken).ConfigureAwait(false);
            type = EntryTypes.ClipProbed;
        }
        catch (ProbeFailedException e)
        {
            // Truncated, corrupt or not a video: the clip stays in custody, flagged for the clerk.
            var names = string.Join(", ", sources.Select(s => s.FileName).Distinct());
            payload = new ClipProbedPayload { Sha256 = sha256.ToHex(), Error = $"{names}: ffprobe could not read it: {e.Message}" };
            type = EntryTypes.ProbeFailed;
            Log.Warning("{FileName} ({Sha256}) could not be probed: {Reason}", names, sha256.ToHex(), e.Message);
        }

        await vault.RecordAsync([new NewEntry(type, "worker:" + workerId, [Subjects.Clip(sha256)], "probe for duration and timing (R3, R4); original not modified", PayloadJson.Serialize(payload))], cancellationToken).ConfigureAwait(false);
        if (type != EntryTypes.ClipProbed)
        {
            return;
        }

        // R3: every interruption of this device needs its resumed clip's opening checked for an explanation by voice.
        // Only this clip's devices are looked at: a whole-vault pass per probed clip would grow with the square of the vault.
        foreach (var device in sources.Select(s => s.Device).OfType<string>().Distinct())
        {
            await CaseLinks.AutoLinkAsync(vault, device, cancellationToken).ConfigureAwait(false);
            foreach (var gap in InterruptionAnalysis.Find(vault.Clips.Timings(device), policy, vault.Clips.Actions()).Where(g => g.Kind == GapKind.Interruption))
            {
                vault.Work.Enqueue(WorkQueue.Speech, gap.Resumed.ToHex());
            }
        }
    }

    private async Task SpeechAsync(Sha256Digest sha256, CancellationToken cancellationToken)
    {
        if (vault.Clips.FactsOf("clip_speech", sha256) is not null)
        {
            return;
        }

        using var original = await OriginalAsync(sha256, cancellationToken).ConfigureAwait(false);
        var payload = await SpeechDetector.AnalyseAsync(original.Path, sha256, policy.SpeechWindow.ToTimeSpan(), cancellationToken).ConfigureAwait(false);
        await vault.RecordAsync([new NewEntry(EntryTypes.SpeechAnalysed, "worker:" + workerId, [Subjects.Clip(sha256)], "R3: spoken explanation on resuming (001 §20, 002 §11)", PayloadJson.Serialize(payload))], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A file ffprobe and ffmpeg can read: the original itself in the embedded store (read-only use),
    /// or a private copy from S3, checked against its SHA-256 as it is written and removed afterwards.
    /// </summary>
    private async Task<LocalOriginal> OriginalAsync(Sha256Digest sha256, CancellationToken cancellationToken)
    {
        if (vault.Objects.LocalFileOf(sha256) is { } path)
        {
            return File.Exists(path) ? new LocalOriginal(path, false) : throw new VaultException($"Original {sha256} is missing from the object store: run custody verify --objects.");
        }

        var spool = Path.Combine(vault.DataDirectory, "spool");
        Directory.CreateDirectory(spool);
        var copy = Path.Combine(spool, $"work-{sha256.ToHex()}-{Guid.NewGuid():N}");
        try
        {
            await using (var source = await vault.OpenOriginalAsync(sha256, cancellationToken).ConfigureAwait(false))
            await using (var target = new FileStream(copy, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
                var buffer = new byte[1 << 20];
                int read;
                while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }

                if (new Sha256Digest(hash.GetHashAndReset()) != sha256)
                {
                    throw new VaultException($"Original {sha256} on the object store does not match its SHA-256: run custody verify --objects.");
                }
            }

            return new LocalOriginal(copy, true);
        }
        catch
        {
            File.Delete(copy);
            throw;
        }
    }

    private sealed record LocalOriginal(string Path, bool Temporary) : IDisposable
    {
        public void Dispose()
        {
            if (Temporary)
            {
                File.Delete(Path);
            }
        }
    }
}
