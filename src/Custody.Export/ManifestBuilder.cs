using EvidenceVault.Custody.Interruptions;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Policy;
using EvidenceVault.Custody.Verifier;
using NodaTime;
using NodaTime.Text;

namespace EvidenceVault.Custody.Export;

/// <summary>
/// Builds manifest.json from the ledger alone (the entries the package carries), so that every
/// fact in it can be traced to a proven custody entry: who recorded each clip, on which camera,
/// when (raw and clock-corrected, UTC and Asia/Shanghai), what ffprobe found, and every
/// interruption with its explanations (R3, R9).
/// </summary>
internal static class ManifestBuilder
{
    private static readonly DateTimeZone China = WorkingCalendar.China;
    private static readonly OffsetDateTimePattern LocalPattern = OffsetDateTimePattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm':'sso<+HH:mm>");

    public static ExportManifest Build(Vault vault, ExportContext context)
    {
        var profile = vault.Policy.ActiveProfile();
        var caseEntries = vault.Ledger.Entries(Subjects.Case(context.CaseNumber));
        var registered = caseEntries.FirstOrDefault(e => e.Type == EntryTypes.CaseRegistered)
            ?? throw new VaultException($"Case {context.CaseNumber} is not registered.");
        var caseFacts = PayloadJson.Deserialize<CaseRegisteredPayload>(registered.Payload);
        var actions = caseEntries.Where(e => e.Type == EntryTypes.ActionRecorded).Select(e =>
        {
            var action = PayloadJson.Deserialize<ActionRecordedPayload>(e.Payload);
            return new ManifestAction
            {
                LedgerIndex = e.Index,
                Type = action.ActionType,
                Officers = action.Officers,
                Place = action.Place,
                Start = action.Start,
                End = action.End,
                StartLocal = Local(InstantPattern.ExtendedIso.Parse(action.Start).Value),
                EndLocal = Local(InstantPattern.ExtendedIso.Parse(action.End).Value),
                Emergency = action.Emergency,
            };
        }).ToList();

        var interruptions = InterruptionReport.Build(vault, profile.InterruptionPolicy);
        var clips = context.Clips.Select(sha => BuildClip(vault, sha, interruptions)).OrderBy(c => c.RecordedStartUtc ?? "~").ThenBy(c => c.Sha256, StringComparer.Ordinal).ToList();
        var now = context.ExportedAt;
        return new ExportManifest
        {
            ExportId = context.ExportId,
            ExportedAt = InstantPattern.ExtendedIso.Format(now),
            ExportedAtLocal = Local(now),
            Agency = profile.Agency,
            PolicyProfile = profile.Id,
            Origin = vault.VerifierKey.Name,
            VerifierKey = vault.Identity.VerifierKey,
            KeyFingerprint = vault.VerifierKey.Fingerprint,
            RequestedBy = context.RequestedBy,
            ApprovedBy = context.ApprovedBy,
            ApproverRole = context.ApproverRole,
            Reason = context.Reason,
            RequestIndex = context.RequestIndex,
            ApprovalIndex = context.ApprovalIndex,
            Case = new ManifestCase { Number = caseFacts.CaseNumber, Cause = caseFacts.Cause, Parties = caseFacts.Parties, Actions = actions },
            Clips = clips,
            Documents = context.Documents,
        };
    }

    private static ManifestClip BuildClip(Vault vault, Sha256Digest sha, IReadOnlyList<InterruptionRow> interruptions)
    {
        var hex = sha.ToHex();
        var trail = vault.Ledger.Entries(Subjects.Clip(sha));
        var ingests = trail.Where(e => e.Type == EntryTypes.ClipIngested).ToList();
        if (ingests.Count == 0)
        {
            throw new VaultException($"Clip {hex} is not in custody.");
        }

        var ingest = PayloadJson.Deserialize<ClipIngestedPayload>(ingests[0].Payload);
        var facts = ingest.Clip;
        var probeEntry = trail.LastOrDefault(e => e.Type is EntryTypes.ClipProbed or EntryTypes.ProbeFailed);
        var probe = probeEntry is null ? null : PayloadJson.Deserialize<ClipProbedPayload>(probeEntry.Payload);
        var length = probe?.DurationSeconds is { } seconds ? Duration.FromSeconds(seconds) : (Duration?)null;
        var start = facts.RecordedStart is { } iso && InstantPattern.ExtendedIso.Parse(iso) is { Success: true } parsed ? parsed.Value : (Instant?)null;
        var rawStart = facts.RecordedStartLocal is { } raw && LocalDateTimePattern.ExtendedIso.Parse(raw) is { Success: true } local ? local.Value : (LocalDateTime?)null;
        return new ManifestClip
        {
            Sha256 = hex,
            Size = ingest.Size,
            File = PackageLayout.Original(hex),
            CameraFileNames = [.. ingests.Select(e => PayloadJson.Deserialize<ClipIngestedPayload>(e.Payload).Clip.FileName).Distinct(StringComparer.Ordinal)],
            DeviceSerial = facts.DeviceSerial,
            OfficerId = facts.OfficerId,
            OfficerName = facts.OfficerName,
            UnitId = facts.UnitId,
            UnitName = facts.UnitName,
            Station = ingest.Station,
            IngestIndex = ingests[0].Index,
            IngestedAt = InstantPattern.ExtendedIso.Format(ingests[0].Time),
            RecordedStartCamera = facts.RecordedStartLocal,
            RecordedEndCamera = rawStart is { } s && length is { } l ? LocalDateTimePattern.ExtendedIso.Format(s.PlusNanoseconds(l.ToInt64Nanoseconds())) : null,
            CameraTimeZone = facts.TimeZone,
            ClockOffsetSeconds = facts.ClockOffsetSeconds,
            RecordedStartUtc = start is { } a ? InstantPattern.ExtendedIso.Format(a) : null,
            RecordedEndUtc = start is { } b && length is { } m ? InstantPattern.ExtendedIso.Format(b + m) : null,
            RecordedStartLocal = start is { } c ? Local(c) : null,
            RecordedEndLocal = start is { } d && length is { } n ? Local(d + n) : null,
            DurationSeconds = probe?.DurationSeconds,
            Probe = probe is null ? null : new ManifestProbe
            {
                Result = probeEntry!.Type == EntryTypes.ClipProbed ? "readable" : "unreadable",
                Container = probe.Container,
                VideoCodec = probe.VideoCodec,
                AudioCodec = probe.AudioCodec,
                Width = probe.Width,
                Height = probe.Height,
                FrameRate = probe.FrameRate,
                CreationTime = probe.CreationTime,
                ProbeDigest = probe.ProbeDigest,
                Error = probe.Error,
                Discontinuities = probe.Discontinuities.Count,
            },
            Flags = facts.Flags,
            Interruptions = [.. interruptions.Where(r => r.Gap.Resumed == sha || r.Gap.Previous == sha).Select(r => Interruption(vault, r))],
        };
    }

    private static ManifestInterruption Interruption(Vault vault, InterruptionRow row)
    {
        var written = vault.Ledger.Entries(Subjects.Clip(row.Gap.Resumed))
            .Where(e => e.Type == EntryTypes.WrittenExplanationAttached)
            .Select(e => (e.Index, Facts: PayloadJson.Deserialize<WrittenExplanationPayload>(e.Payload)))
            .LastOrDefault(w => w.Facts.ResumedClipSha256 == row.Gap.Resumed.ToHex());
        return new ManifestInterruption
        {
            Kind = row.Gap.Kind.ToString(),
            PreviousClip = row.Gap.Previous.ToHex(),
            ResumedClip = row.Gap.Resumed.ToHex(),
            GapStartUtc = InstantPattern.ExtendedIso.Format(row.Gap.GapStart),
            GapEndUtc = InstantPattern.ExtendedIso.Format(row.Gap.GapEnd),
            Seconds = Math.Round(row.Gap.Seconds, 3),
            Spoken = row.Spoken,
            SpeechLevelSpreadDb = row.Speech?.LevelSpreadDb,
            SpeechMeanLevelDb = row.Speech?.MeanLevelDb,
            SpeechHeardByReviewer = row.SpokenReview?.Heard,
            SpeechReviewer = row.SpokenReview?.Reviewer,
            Written = row.Written,
            WrittenExplanation = written.Facts is null ? null : new ManifestWrittenExplanation
            {
                LedgerIndex = written.Index,
                Category = written.Facts.Category,
                Text = written.Facts.Text,
                SignedBy = written.Facts.SignedBy,
                DocumentSha256 = written.Facts.DocumentSha256,
            },
            Explained = row.Explained,
        };
    }

    internal static string Local(Instant instant) => LocalPattern.Format(instant.InZone(China).ToOffsetDateTime());
}

/// <summary>What an export is about and who asked, approved and made it.</summary>
internal sealed record ExportContext(
    string ExportId,
    Instant ExportedAt,
    string CaseNumber,
    IReadOnlyList<Sha256Digest> Clips,
    string RequestedBy,
    string ApprovedBy,
    string ApproverRole,
    string Reason,
    long RequestIndex,
    long ApprovalIndex,
    IReadOnlyList<ManifestDocument> Documents);
