namespace EvidenceVault.Worker.Tests.Cases;

/// <summary>Cases, enforcement actions, links and written explanations, through custody case.</summary>
public sealed class CaseTests : IDisposable
{
    private readonly Scenario _scenario = new();

    public void Dispose() => _scenario.Dispose();

    [Fact]
    public void Action_CoveringTheOfficersClips_LinksThemAndA2hGapInsideItIsAnInterruption()
    {
        // Two clips two hours apart: separate sessions, unless both lie inside one enforcement action.
        var clips = _scenario.Dock("clip:3", "gap:7200", "clip:3");
        _scenario.Drain().ExitCode.Should().Be(0);
        _scenario.Interruptions().Should().BeEmpty();

        _scenario.Custody("case", "register", "--number", "长应急罚〔2026〕17号", "--cause", "未按规定设置安全警示标志", "--party", "某化工有限公司", "--by", "clerk01").ExitCode.Should().Be(0);
        var action = _scenario.Custody("case", "action", "--number", "长应急罚〔2026〕17号", "--type", "on-site-inspection", "--officer", "123456", "--officer", "234567",
            "--place", "某化工有限公司厂区", "--start", RunDates.Local("08:29:00"), "--end", RunDates.Local("10:40:00"), "--by", "clerk01");
        action.ExitCode.Should().Be(0, action.Error);

        var links = _scenario.Entries("ClipLinked");
        links.Should().HaveCount(2);
        links.Should().OnlyContain(l => l.GetProperty("payload").GetProperty("automatic").GetBoolean() && l.GetProperty("actor").GetString() == "system:auto-link");
        var gap = _scenario.Interruptions().Should().ContainSingle().Subject;
        gap.GetProperty("gapSeconds").GetDouble().Should().BeApproximately(7200, 1);
        gap.GetProperty("caseNumber").GetString().Should().Be("长应急罚〔2026〕17号");
        gap.GetProperty("resumedClipSha256").GetString().Should().Be(Scenario.Sha(clips[1]));
    }

    [Fact]
    public void Unlink_ByAClerk_NeedsAReasonAndIsNotUndoneAutomatically()
    {
        var clips = _scenario.Dock("clip:3");
        _scenario.Drain().ExitCode.Should().Be(0);
        _scenario.Custody("case", "register", "--number", "C-1", "--cause", "inspection", "--by", "clerk01").ExitCode.Should().Be(0);
        _scenario.Custody("case", "action", "--number", "C-1", "--type", "on-site-inspection", "--officer", "123456",
            "--start", RunDates.Local("08:00:00"), "--end", RunDates.Local("09:00:00"), "--by", "clerk01").ExitCode.Should().Be(0);
        var sha = Scenario.Sha(clips[0]);

        var noReason = _scenario.Custody("case", "unlink", "--number", "C-1", "--clip", sha, "--by", "clerk01");
        noReason.ExitCode.Should().Be(1);
        noReason.Error.Should().Contain("needs a reason");

        _scenario.Custody("case", "unlink", "--number", "C-1", "--clip", sha, "--reason", "recorded a different matter", "--by", "clerk01").ExitCode.Should().Be(0);
        _scenario.Custody("case", "action", "--number", "C-1", "--type", "hearing", "--officer", "123456",
            "--start", RunDates.Local("08:20:00"), "--end", RunDates.Local("08:40:00"), "--by", "clerk01").ExitCode.Should().Be(0);

        _scenario.Clips().Single().GetProperty("cases").EnumerateArray().Should().BeEmpty();
        _scenario.Entries("ClipUnlinked").Single().GetProperty("reason").GetString().Should().Be("recorded a different matter");
    }

    [Fact]
    public void Explain_SignedByTwoOfficers_MakesTheWrittenExplanationPresent()
    {
        var clips = _scenario.Dock("clip:3", "gap:300", "clip:3");
        _scenario.Drain().ExitCode.Should().Be(0);
        var resumed = Scenario.Sha(clips[1]);
        var document = Path.Combine(_scenario.Work, "说明.pdf");
        File.WriteAllText(document, "scanned signed explanation");

        var oneSignature = _scenario.Custody("case", "explain", "--resumed", resumed, "--category", "low-battery", "--text", "电池耗尽，更换电池后继续录像", "--signed-by", "123456", "--by", "123456");
        oneSignature.ExitCode.Should().Be(0);
        _scenario.Interruptions().Single().GetProperty("writtenExplanation").GetString().Should().Be("absent", "001 §20 needs two or more officers' signatures");

        var twice = _scenario.Custody("case", "explain", "--resumed", resumed, "--category", "low-battery", "--text", "x", "--signed-by", "123456", "--signed-by", "123456", "--by", "123456");
        twice.ExitCode.Should().Be(1);
        twice.Error.Should().Contain("signatures must be distinct");

        var wrongCategory = _scenario.Custody("case", "explain", "--resumed", resumed, "--category", "tired", "--text", "x", "--signed-by", "1", "--signed-by", "2", "--by", "1");
        wrongCategory.ExitCode.Should().Be(1);
        wrongCategory.Error.Should().Contain("equipment-failure, low-battery, storage-full, weather, obstruction, other");

        _scenario.Custody("case", "explain", "--resumed", resumed, "--previous", Scenario.Sha(clips[0]), "--category", "low-battery", "--text", "电池耗尽，更换电池后继续录像",
            "--signed-by", "123456", "--signed-by", "234567", "--document", document, "--by", "123456").ExitCode.Should().Be(0);

        _scenario.Interruptions().Single().GetProperty("writtenExplanation").GetString().Should().Be("present");
        var entry = _scenario.Entries("WrittenExplanationAttached").Last().GetProperty("payload");
        entry.GetProperty("documentSha256").GetString().Should().Be(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(document))));
        _scenario.Custody("verify", "--objects").ExitCode.Should().Be(0);
    }

    [Fact]
    public void Interruptions_CountSignaturesAsTheActiveProfileRequires_AsTheDeadlineMonitorDoes()
    {
        var clips = _scenario.Dock("clip:3", "gap:300", "clip:3");
        _scenario.Drain().ExitCode.Should().Be(0);
        _scenario.Custody("case", "explain", "--resumed", Scenario.Sha(clips[1]), "--category", "low-battery", "--text", "电池耗尽",
            "--signed-by", "123456", "--by", "123456").ExitCode.Should().Be(0);

        // Hebei street office: two or more signatures (001 §20); Changzhi police: a written explanation (004 §17).
        _scenario.Custody("policy", "set", "--profile", "hebei-street-office", "--reason", "set-up", "--by", "admin").ExitCode.Should().Be(0);
        _scenario.Interruptions().Single().GetProperty("writtenExplanation").GetString().Should().Be("absent");
        _scenario.Custody("policy", "set", "--profile", "changzhi-police", "--reason", "the vault moves to the police", "--by", "admin").ExitCode.Should().Be(0);
        _scenario.Interruptions().Single().GetProperty("explained").GetBoolean().Should().BeTrue();
        // As of a day and an hour after the dock (read back from its ledger entry): the camera is overdue (R15, 24 h in 004).
        var at = RunDates.FirstEntryTime(_scenario.Data, "ClipIngested") + NodaTime.Duration.FromHours(25);
        var findings = System.Text.Json.JsonDocument.Parse(_scenario.Custody("deadlines", "--at", RunDates.Iso(at), "--json").Output).RootElement.GetProperty("findings");
        findings.EnumerateArray().Should().NotContain(f => f.GetProperty("rule").GetString() == "R3", "the monitor and the report agree the interruption is explained");
        findings.EnumerateArray().Should().Contain(f => f.GetProperty("rule").GetString() == "R15", "the monitor did run: the camera has not been docked since");
    }

    [Fact]
    public void ReviewSpeech_ClerkHeardTheExplanation_MarksTheInterruptionExplained()
    {
        var clips = _scenario.Dock("clip:3", "gap:300", "speech:10:xian4 zai4 ji4 xu4 lu4 xiang4, gang1 cai2 mei2 dian4 le5");
        _scenario.Drain().ExitCode.Should().Be(0);
        var gap = _scenario.Interruptions().Single();
        gap.GetProperty("spokenExplanation").GetString().Should().Be("detected");
        gap.GetProperty("explained").GetBoolean().Should().BeFalse("the detector's verdict waits for a clerk");

        var notAnalysed = _scenario.Custody("case", "review-speech", "--resumed", Scenario.Sha(clips[0]), "--heard", "yes", "--by", "clerk01");
        notAnalysed.ExitCode.Should().Be(1);
        notAnalysed.Error.Should().Contain("has not been analysed for speech");

        _scenario.Custody("case", "review-speech", "--resumed", Scenario.Sha(clips[1]), "--heard", "yes", "--by", "clerk01").ExitCode.Should().Be(0);

        gap = _scenario.Interruptions().Single();
        gap.GetProperty("explained").GetBoolean().Should().BeTrue();
        gap.GetProperty("spokenReviewedBy").GetString().Should().Be("user:clerk01");
    }
}
