using MediatR;
using EvidenceVault.Custody.Cases;
using EvidenceVault.Custody.Deadlines;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Policy;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using NodaTime.Text;

namespace EvidenceVault.Custody.Tests.Policy;

/// <summary>One scenario per agency, exercising what is distinctive in its profile, on a FakeClock.</summary>
public sealed class PolicyScenarioTests : IDisposable
{
    private static readonly DateTimeZone China = DateTimeZoneProviders.Tzdb["Asia/Shanghai"];
    private TestVault? _vault;

    public void Dispose() => _vault?.Dispose();

    private TestVault Vault(string profile)
    {
        // Set up before every dock of the scenarios: a ledger's entries are never dated before the one preceding them.
        _vault = new TestVault(profile, Instant.FromUtc(2025, 1, 1, 0, 0));
        return _vault;
    }

    private static Instant Beijing(int month, int day, int hour, int minute = 0, int year = 2026) =>
        new LocalDateTime(year, month, day, hour, minute).InZoneStrictly(China).ToInstant();

    /// <summary>A clip recorded at <paramref name="start"/> for <paramref name="seconds"/>, docked at <paramref name="docked"/>, probed.</summary>
    private static async Task<Sha256Digest> Clip(TestVault vault, Instant start, int seconds, Instant docked, string officer = "123456", string device = "A1B2C3D")
    {
        vault.Clock.Reset(docked);
        var sha = Sha256Digest.Of(System.Text.Encoding.UTF8.GetBytes($"{device}{start}{seconds}"));
        var facts = new ClipFacts { FileName = $"{device}_{officer}_{start.ToUnixTimeSeconds()}.MP4", DeviceSerial = device, OfficerId = officer, UnitId = "unit-1", RecordedStart = InstantPattern.ExtendedIso.Format(start) };
        await vault.Vault.RecordAsync(
        [
            new NewEntry(EntryTypes.ClipIngested, "device:" + device, [Subjects.Clip(sha)], "test", PayloadJson.Serialize(new ClipIngestedPayload { Sha256 = sha.ToHex(), Size = 1, Clip = facts })),
            new NewEntry(EntryTypes.ClipProbed, "worker:test", [Subjects.Clip(sha)], "test", PayloadJson.Serialize(new ClipProbedPayload { Sha256 = sha.ToHex(), DurationSeconds = seconds })),
        ]);
        return sha;
    }

    private static Task<long> Send(TestVault vault, IRequest<long> command)
    {
        var services = new ServiceCollection().AddCustody(vault.Vault).BuildServiceProvider();
        return services.GetRequiredService<IMediator>().Send(command);
    }

    private static IReadOnlyList<Finding> Scan(TestVault vault, Instant at) => DeadlineMonitor.Scan(vault.Vault, at, WorkingCalendar.Default).Findings;

    [Fact]
    public async Task CivilAirDefence_UploadAfter24Hours_IsLateByTheExcessUnder000Article19()
    {
        var vault = Vault("changzhi-civil-air-defence");
        var late = await Clip(vault, Beijing(11, 20, 9), 600, Beijing(11, 21, 15, 10)); // ended 09:10, docked 30 h later
        await Clip(vault, Beijing(11, 21, 9), 600, Beijing(11, 21, 18));

        var findings = Scan(vault, Beijing(11, 21, 20));

        var finding = findings.Should().ContainSingle(f => f.Rule == "R1").Subject;
        finding.Article.Should().Be("000 §19");
        finding.Subject.Should().Be("clip:" + late.ToHex());
        finding.DueAt.Should().Be(Beijing(11, 21, 9, 10));
        finding.LateBy.Should().Be(Duration.FromHours(6));
        DeadlineMonitor.Scan(vault.Vault, Beijing(11, 21, 20), WorkingCalendar.Default).Statistics
            .Single(s => s.Kind == "officer").Should().Be(new Statistic("officer", "123456", 2, 1, 1, 0, 0));
    }

    [Fact]
    public async Task CivilAirDefence_OriginalDockedAgainAfterItsProbe_KeepsItsLengthInTheUploadDeadline()
    {
        var vault = Vault("changzhi-civil-air-defence");
        // Four hours recorded from 09:00, so due 24 h after 13:00; probed at the first dock.
        var sha = await Clip(vault, Beijing(11, 20, 9), 4 * 3600, Beijing(11, 20, 18));
        // The same original comes in again from the spare dock at 12:00 the next day: within 24 h of its end.
        vault.Clock.Reset(Beijing(11, 21, 12));
        var facts = new ClipFacts { FileName = "A1B2C3D_123456_copy.MP4", DeviceSerial = "A1B2C3D", OfficerId = "123456", UnitId = "unit-1", RecordedStart = InstantPattern.ExtendedIso.Format(Beijing(11, 20, 9)) };
        await vault.Vault.RecordAsync([new NewEntry(EntryTypes.ClipIngested, "device:A1B2C3D", [Subjects.Clip(sha)], "test", PayloadJson.Serialize(new ClipIngestedPayload { Sha256 = sha.ToHex(), Size = 1, Station = "dock-02", Clip = facts }))]);

        Scan(vault, Beijing(11, 21, 14)).Where(f => f.Rule == "R1").Should().BeEmpty("the second custody fact takes the probed length: the recording ended at 13:00");
    }

    [Fact]
    public async Task HebeiStreetOffice_DeclaredReturn_MovesTheUploadDeadlineTo24HoursAfterReturn()
    {
        var vault = Vault("hebei-street-office");
        // Three days on a river patrol; back on Sunday evening, docked on Monday.
        await Send(vault, new DeclareRemoteEnforcement("123456", "river patrol, no dock on board", Beijing(11, 20, 6), Beijing(11, 22, 20), "squad-leader"));
        await Clip(vault, Beijing(11, 20, 9), 600, Beijing(11, 23, 10));

        Scan(vault, Beijing(11, 23, 12)).Where(f => f.Rule == "R1").Should().BeEmpty("001 §21: 24 h after the officer returns");
    }

    [Fact]
    public async Task HebeiStreetOffice_WrittenExplanationWithOneSignature_IsStillMissingAfterTheDeadline()
    {
        var vault = Vault("hebei-street-office");
        var before = await Clip(vault, Beijing(11, 20, 9), 300, Beijing(11, 20, 18));
        var resumed = await Clip(vault, Beijing(11, 20, 9, 15), 300, Beijing(11, 20, 18));
        await Send(vault, new AttachWrittenExplanation(resumed, before, "low-battery", "电池耗尽", ["123456"], null, "123456"));

        var findings = Scan(vault, Beijing(11, 22, 9));

        var r3 = findings.Should().ContainSingle(f => f.Rule == "R3").Subject;
        r3.Subject.Should().Be("clip:" + resumed.ToHex());
        r3.Article.Should().Contain("001 §20");

        await Send(vault, new AttachWrittenExplanation(resumed, before, "low-battery", "电池耗尽", ["123456", "234567"], null, "123456"));
        Scan(vault, Beijing(11, 22, 9)).Should().NotContain(f => f.Rule == "R3", "two officers signed (001 §20)");
    }

    [Fact]
    public async Task Jiaozuo_ArchiveDeadline_Counts30WorkingDaysAcrossTheSpringFestival()
    {
        var vault = Vault("jiaozuo-emergency");
        await Send(vault, new RegisterCase("焦应急罚〔2026〕3号", "未按规定开展安全培训", [], "clerk", "test"));
        await Send(vault, new EndMatter("焦应急罚〔2026〕3号", Beijing(2, 10, 16), "clerk"));

        var nearly = Scan(vault, Beijing(3, 30, 23)).Single(f => f.Rule == "R2");
        nearly.DueAt.Should().Be(Beijing(3, 31, 0));
        nearly.DueIn.Should().Be(Duration.FromHours(1));
        nearly.Article.Should().Be("002 §14 (30 working days)");

        var late = Scan(vault, Beijing(3, 31, 0, 30)).Single(f => f.Rule == "R2");
        late.LateBy.Should().Be(Duration.FromMinutes(30));
    }

    [Fact]
    public async Task Jiaozuo_ArchiveDeadlineInAYearWithoutANotice_IsReportedAsNotComputable()
    {
        var vault = Vault("jiaozuo-emergency");
        await Send(vault, new RegisterCase("C-2027", "test", [], "clerk", "test"));
        await Send(vault, new EndMatter("C-2027", Beijing(12, 20, 10), "clerk"));

        var finding = DeadlineMonitor.Scan(vault.Vault, Beijing(12, 21, 10), Only2026).Findings.Single(f => f.Rule == "R2");

        finding.Message.Should().Be("cannot compute: calendar for 2027 missing");
        finding.DueAt.Should().BeNull();
    }

    [Fact]
    public async Task Jiaozuo_ArchiveDeadlineInAYearImportedLater_BecomesComputable()
    {
        var vault = Vault("jiaozuo-emergency");
        await Send(vault, new RegisterCase("C-2027", "test", [], "clerk", "test"));
        await Send(vault, new EndMatter("C-2027", Beijing(12, 20, 10), "clerk"));
        DeadlineMonitor.Scan(vault.Vault, Beijing(12, 21, 10), Only2026).Findings.Single(f => f.Rule == "R2").DueAt.Should().BeNull();

        // The test's own notice for 2027: the days off the law fixes by date, nothing else.
        await Send(vault, new ImportCalendar("fixture-2027.json", """
            {"year": 2027, "papers": ["https://example.org/2027"], "days": [
              {"name": "元旦", "date": "2027-01-01", "isOffDay": true},
              {"name": "劳动节", "date": "2027-05-01", "isOffDay": true}, {"name": "劳动节", "date": "2027-05-02", "isOffDay": true},
              {"name": "国庆节", "date": "2027-10-01", "isOffDay": true}, {"name": "国庆节", "date": "2027-10-02", "isOffDay": true}, {"name": "国庆节", "date": "2027-10-03", "isOffDay": true}]}
            """, "https://example.org/2027", "the 2027 notice is published", "admin"));

        var finding = DeadlineMonitor.Scan(vault.Vault, Beijing(1, 31, 10, year: 2027), Only2026).Findings.Single(f => f.Rule == "R2");

        // 30 working days from 21 December: 9 in December, 1 January off, 21 in January to Monday 1 February.
        finding.DueAt.Should().Be(Beijing(2, 2, 0, year: 2027));
        finding.DueIn.Should().Be(Duration.FromHours(38));
        vault.Vault.Ledger.Entries("calendar:2027").Should().ContainSingle().Which.Actor.Should().Be("user:admin");
    }

    /// <summary>A calendar of the test's own that knows 2026 only (the compiled-in one may come to hold 2027).</summary>
    private static WorkingCalendar Only2026 => WorkingCalendar.Empty.With(WorkingCalendar.Default.Years[2026]!);

    [Fact]
    public async Task Mingshan_EmergencyActionNotApprovedWithin24Hours_IsLateUnder003Article8()
    {
        var vault = Vault("mingshan-emergency");
        await Send(vault, new RegisterCase("明应急〔2026〕9号", "危险化学品泄漏", [], "clerk", "test"));
        var action = await Send(vault, new RecordAction("明应急〔2026〕9号", "sealing-seizure", ["123456"], "某仓库", Beijing(11, 20, 22), Beijing(11, 20, 23), "123456", "test", Emergency: true));

        Scan(vault, Beijing(11, 21, 12)).Single(f => f.Rule == "R16").DueIn.Should().Be(Duration.FromHours(10));
        var late = Scan(vault, Beijing(11, 22, 0)).Single(f => f.Rule == "R16");
        late.LateBy.Should().Be(Duration.FromHours(2));
        late.Article.Should().Be("003 §8");

        // 003 §8: the responsible leader approves, and not the officer who started the action.
        await Send(vault, new Export.GrantRole("123456", "responsible-leader", "admin", "test"));
        await FluentActions.Awaiting(() => Send(vault, new ApproveAction("明应急〔2026〕9号", action, "同意", Beijing(11, 21, 20), "123456")))
            .Should().ThrowAsync<VaultException>().WithMessage("*recorded an action started before approval*");
        await FluentActions.Awaiting(() => Send(vault, new ApproveAction("明应急〔2026〕9号", action, "同意", Beijing(11, 21, 20), "head")))
            .Should().ThrowAsync<VaultException>().WithMessage("*does not hold the role 'responsible-leader'*003 §8*");
        Access.Inbox.For(vault.Vault, "leader").ToDecide.Should().BeEmpty();
        await Send(vault, new Export.GrantRole("head", "responsible-leader", "admin", "test"));
        Access.Inbox.For(vault.Vault, "head").ToDecide.Should().ContainSingle(i => i.Kind == "emergency-action" && i.Entry == action);
        await Send(vault, new ApproveAction("明应急〔2026〕9号", action, "同意", Beijing(11, 21, 20), "head"));
        Scan(vault, Beijing(11, 22, 0)).Should().NotContain(f => f.Rule == "R16");
        vault.Vault.Ledger.EntriesOfType(EntryTypes.AccessRefused).Should().HaveCount(2, "both refused approvals are facts");
    }

    [Fact]
    public async Task Mingshan_ARequiredActionNotRecordedStartToEnd_IsReportedPerOfficerWithTheUncoveredMinutes()
    {
        var vault = Vault("mingshan-emergency");
        await Clip(vault, Beijing(11, 20, 9), 1200, Beijing(11, 20, 12));
        await Clip(vault, Beijing(11, 20, 9, 30), 1800, Beijing(11, 20, 12, 1));
        await Clip(vault, Beijing(11, 20, 14), 7200, Beijing(11, 20, 17), officer: "222222", device: "B2C3D4E");
        await Send(vault, new RegisterCase("明应急〔2026〕10号", "危险化学品", [], "clerk", "test"));
        var sealing = await Send(vault, new RecordAction("明应急〔2026〕10号", "sealing-seizure", ["123456", "654321"], "某仓库", Beijing(11, 20, 9), Beijing(11, 20, 10), "clerk", "test"));
        await Send(vault, new RecordAction("明应急〔2026〕10号", "telephone-notice", ["123456"], null, Beijing(11, 20, 11), Beijing(11, 20, 12), "clerk", "test"));
        await Send(vault, new RecordAction("明应急〔2026〕10号", "on-site-inspection", ["222222"], "某仓库", Beijing(11, 20, 14), Beijing(11, 20, 16), "clerk", "test"));
        await Send(vault, new RecordAction("明应急〔2026〕10号", "hearing", ["123456"], "会议室", Beijing(11, 21, 9), Beijing(11, 21, 11), "clerk", "test"));

        var findings = Scan(vault, Beijing(11, 21, 10)).Where(f => f.Rule == "R12").ToList();

        findings.Select(f => (f.Subject, f.OfficerId)).Should().Equal([($"action:{sealing}", "123456"), ($"action:{sealing}", "654321")],
            "the sealing is required and was not covered; a telephone notice is not required; the inspection was covered; the hearing has not ended");
        findings[0].Message.Should().Contain("10.0 of its 60.0 min").And.Contain("from 2026-11-20T01:20:00Z");
        findings[1].Message.Should().Contain("no recording of 654321's covers any of it");
        findings.Should().OnlyContain(f => f.Article == "003 §13, §15, §25, §27, §30");
        findings[0].LateBy.Should().Be(Duration.FromHours(24));
    }

    [Fact]
    public async Task Police_EveryActionMustBeRecorded_AndAFewSecondsLateIsNotAFinding()
    {
        var vault = Vault("changzhi-police");
        await Clip(vault, Beijing(11, 20, 9, 0) + Duration.FromSeconds(20), 3580, Beijing(11, 20, 12));
        await Send(vault, new RegisterCase("长公〔2026〕3号", "盘查", [], "clerk", "test"));
        await Send(vault, new RecordAction("长公〔2026〕3号", "street-check", ["123456"], "街口", Beijing(11, 20, 9), Beijing(11, 20, 10), "clerk", "test"));
        var unrecorded = await Send(vault, new RecordAction("长公〔2026〕3号", "questioning", ["123456"], "所内", Beijing(11, 20, 13), Beijing(11, 20, 14), "clerk", "test"));

        var finding = Scan(vault, Beijing(11, 20, 15)).Where(f => f.Rule == "R12").Should().ContainSingle().Subject;

        finding.Subject.Should().Be($"action:{unrecorded}", "police record every action (004 §3); 20 s late on the street check is within tolerance");
        finding.Message.Should().StartWith("questioning of case 长公〔2026〕3号");
    }

    [Fact]
    public async Task Mingshan_DeclaredReturn_DoesNotMoveTheDeadlineWhereTheRegulationGrantsNoException()
    {
        var vault = Vault("mingshan-emergency");
        await Send(vault, new DeclareRemoteEnforcement("123456", "mountain inspection", Beijing(11, 20, 6), Beijing(11, 22, 20), "squad-leader"));
        await Clip(vault, Beijing(11, 20, 9), 600, Beijing(11, 23, 10));

        Scan(vault, Beijing(11, 23, 12)).Should().ContainSingle(f => f.Rule == "R1").Which.Article.Should().Be("003 §32");
    }

    [Fact]
    public async Task Police_WrittenExplanationIsDue24HoursAfterReturning()
    {
        var vault = Vault("changzhi-police");
        await Clip(vault, Beijing(11, 20, 9), 300, Beijing(11, 20, 17, 59)); // the same dock, a minute before the clip after it
        var resumed = await Clip(vault, Beijing(11, 20, 9, 20), 300, Beijing(11, 20, 18)); // docked on return at 18:00

        Scan(vault, Beijing(11, 21, 17)).Single(f => f.Rule == "R3").DueIn.Should().Be(Duration.FromHours(1));
        var late = Scan(vault, Beijing(11, 21, 19)).Single(f => f.Rule == "R3");
        late.Article.Should().Be("004 §17 (within 24 h of returning)");
        late.LateBy.Should().Be(Duration.FromHours(1));

        await Send(vault, new AttachWrittenExplanation(resumed, null, "equipment-failure", "记录仪故障，改用手机继续录像", ["123456"], null, "123456"));
        Scan(vault, Beijing(11, 21, 19)).Should().NotContain(f => f.Rule == "R3", "004 §17 asks for a written explanation, not two signatures");
    }

    [Fact]
    public async Task Police_ClipUsedAsEvidence_IsKeptPermanentlyAndTheExtensionIsLedgered()
    {
        var vault = Vault("changzhi-police");
        var clip = await Clip(vault, Beijing(11, 20, 9), 300, Beijing(11, 20, 18));
        await Send(vault, new RegisterCase("长公〔2026〕88号", "寻衅滋事", [], "clerk", "test"));
        await Send(vault, new LinkClip(clip, "长公〔2026〕88号", true, "clerk", "recorded the incident"));
        Retention.Classify(vault.Vault)[clip.ToHex()].Because.Should().Contain("at least 6 months");

        await Send(vault, new RecordRetentionFact(RetentionFactKinds.Evidence, "case:长公〔2026〕88号", null, "transferred to the procuratorate", "clerk"));

        var (retentionClass, because) = Retention.Classify(vault.Vault)[clip.ToHex()];
        retentionClass.Should().Be(Retention.LongTerm);
        because.Should().Contain("permanent");
        var extension = vault.Vault.Ledger.EntriesOfType(EntryTypes.RetentionExtended).Should().ContainSingle().Subject;
        PayloadJson.Deserialize<RetentionExtendedPayload>(extension.Payload).Should().Be(new RetentionExtendedPayload(clip.ToHex(), Retention.CaseFile, Retention.LongTerm, because));
    }

    [Fact]
    public async Task AnyProfile_ClipsDockedOutOfRecordingOrderAndTheSameBytesTwice_AreJudgedInRecordingOrder()
    {
        var vault = Vault("changzhi-police");
        await Clip(vault, Beijing(11, 20, 8), 60, Beijing(11, 20, 12), device: "Z9Y8X7W"); // another camera, earlier in the ledger
        var third = await Clip(vault, Beijing(11, 20, 9, 20), 300, Beijing(11, 20, 18)); // docked first, recorded last
        var first = await Clip(vault, Beijing(11, 20, 9), 300, Beijing(11, 20, 18, 5));
        var second = await Clip(vault, Beijing(11, 20, 9, 6), 540, Beijing(11, 20, 18, 10)); // 09:06-09:15
        (await Clip(vault, Beijing(11, 20, 9), 300, Beijing(11, 20, 19))).Should().Be(first, "the same recording docked again");

        var report = DeadlineMonitor.Scan(vault.Vault, Beijing(11, 22, 0), WorkingCalendar.Default);

        // 09:05 to 09:06 and 09:15 to 09:20: two interruptions, each due 24 h after its resumed clip was docked.
        report.Findings.Where(f => f.Rule == "R3").Select(f => (f.Subject, f.DueAt)).Should().Equal(
            ("clip:" + second.ToHex(), Beijing(11, 21, 18, 10)),
            ("clip:" + third.ToHex(), Beijing(11, 21, 18)));
        report.Statistics.Single(s => s is { Kind: "device", Key: "A1B2C3D" }).Should().Be(new Statistic("device", "A1B2C3D", 4, 4, 0, 2, 2));
        report.Statistics.Single(s => s is { Kind: "device", Key: "Z9Y8X7W" }).Interruptions.Should().Be(0);
    }

    [Fact]
    public async Task AnyProfile_CameraNotDockedFor30Hours_IsAnOverdueDevice()
    {
        var vault = Vault("hebei-street-office");
        await Clip(vault, Beijing(11, 20, 8), 60, Beijing(11, 20, 18), device: "Z9Y8X7W");

        var finding = Scan(vault, Beijing(11, 22, 0)).Single(f => f.Rule == "R15");

        finding.Subject.Should().Be("device:Z9Y8X7W");
        finding.LateBy.Should().Be(Duration.FromHours(6));
    }

    [Fact]
    public async Task WorkRecord_AwaitingReview_IsFlaggedUntilTheHeadReviewsIt()
    {
        var vault = Vault("jiaozuo-emergency");
        var record = await Send(vault, new FileWorkRecord("123456", "explosive area, no explosion-proof camera", "002 §8", Beijing(11, 20, 10), "123456"));

        Scan(vault, Beijing(11, 21, 10)).Should().ContainSingle(f => f.Rule == "R11").Which.Subject.Should().Be($"work-record:{record}");
        await FluentActions.Awaiting(() => Send(vault, new ReviewWorkRecord(record, "同意", "123456")))
            .Should().ThrowAsync<VaultException>().WithMessage("*cannot also decide it*", "the officer who filed it does not review it");
        await FluentActions.Awaiting(() => Send(vault, new ReviewWorkRecord(record, "同意", "head")))
            .Should().ThrowAsync<VaultException>().WithMessage("*'agency-head'*002 §8*");
        await Send(vault, new Export.GrantRole("head", "agency-head", "admin", "test"));
        await Send(vault, new ReviewWorkRecord(record, "同意", "head"));
        Scan(vault, Beijing(11, 21, 10)).Should().NotContain(f => f.Rule == "R11");
    }

    [Fact]
    public async Task SelectPolicy_ChangingTheProfile_IsLedgeredWithWhoAndWhy()
    {
        var vault = Vault("hebei-street-office");
        await Send(vault, new SelectPolicy("jiaozuo-emergency", "admin", "vault moved to the emergency bureau"));

        vault.Vault.Policy.ActiveProfileId().Should().Be("jiaozuo-emergency");
        var entry = vault.Vault.Ledger.EntriesOfType(EntryTypes.PolicySelected).Last();
        entry.Actor.Should().Be("user:admin");
        PayloadJson.Deserialize<PolicySelectedPayload>(entry.Payload).PreviousProfileId.Should().Be("hebei-street-office");
    }
}
