namespace EvidenceVault.Worker.Tests.Interruptions;

/// <summary>R3/R4 on real clips: which gaps need an explanation, and whether one was spoken on resuming.</summary>
public sealed class InterruptionTests : IDisposable
{
    private const string Explanation = "xian4 zai4 ji4 xu4 lu4 xiang4. gang1 cai2 she4 bei4 mei2 dian4, huan4 le5 dian4 chi2.";
    private readonly Scenario _scenario = new();

    public void Dispose() => _scenario.Dispose();

    [Fact]
    public void Interruptions_GapsOf0s1s5MinAnd2h_OnlyTheFiveMinuteGapNeedsAnExplanation()
    {
        // 0 s and 1 s: segments of one recording (≤ 2 s tolerance); 5 min: an interruption;
        // 2 h: a new recording session (> 30 min) outside any enforcement action.
        var clips = _scenario.Dock("clip:3", "clip:3", "gap:1", "clip:3", "gap:300", "clip:3", "gap:7200", "clip:3");
        _scenario.Drain().ExitCode.Should().Be(0);

        var gaps = _scenario.Interruptions();

        var gap = gaps.Should().ContainSingle().Subject;
        gap.GetProperty("kind").GetString().Should().Be("interruption");
        gap.GetProperty("deviceSerial").GetString().Should().Be("A1B2C3D");
        gap.GetProperty("officerId").GetString().Should().Be("123456");
        gap.GetProperty("gapSeconds").GetDouble().Should().BeApproximately(300, 0.5);
        gap.GetProperty("gapStart").GetString().Should().Be(RunDates.Utc("08:30:10"));
        gap.GetProperty("gapEnd").GetString().Should().Be(RunDates.Utc("08:35:10"));
        gap.GetProperty("previousClipSha256").GetString().Should().Be(Scenario.Sha(clips[2]));
        gap.GetProperty("resumedClipSha256").GetString().Should().Be(Scenario.Sha(clips[3]));
        gap.GetProperty("writtenExplanation").GetString().Should().Be("absent");
    }

    [Theory]
    [InlineData("speech:12:" + Explanation, "detected")]
    [InlineData("clip:12", "not-detected")]
    [InlineData("tone:12", "not-detected")]
    [InlineData("noise:12", "not-detected")]
    public void Interruptions_ResumedClipOpening_SpeechIsDetectedAndSteadySoundIsNot(string resumed, string expected)
    {
        // speech over quiet noise; quiet noise alone ("silence"); a steady 1 kHz tone; loud steady noise.
        _scenario.Dock("clip:3", "gap:120", resumed);
        _scenario.Drain().ExitCode.Should().Be(0);

        var gap = _scenario.Interruptions().Should().ContainSingle().Subject;

        gap.GetProperty("spokenExplanation").GetString().Should().Be(expected);
        var spread = gap.GetProperty("speechLevelSpreadDb").GetDouble();
        if (expected == "detected")
        {
            spread.Should().BeGreaterThan(8, "speech varies by many dB from one 100 ms to the next");
        }
        else
        {
            spread.Should().BeLessThan(1.5);
        }

        _scenario.Entries("SpeechAnalysed").Should().ContainSingle().Which.GetProperty("payload").GetProperty("thresholdDb").GetDouble().Should().Be(2);
    }

    [Fact]
    public void Interruptions_OverlappingClipsOfOneDevice_AreFlaggedAsOverlap()
    {
        var volume = Tools.MakeCamera(Path.Combine(_scenario.Work, "cam"), "clip:10");
        var first = Directory.GetFiles(volume, "*.MP4", SearchOption.AllDirectories).Single();
        // A second clip claiming to start 4 s into the first: a clock fault or inserted footage (R4).
        File.Copy(Path.Combine(Tools.MakeCamera(Path.Combine(_scenario.Work, "other"), "--start", RunDates.CameraStart("08:30:04"), "tone:5"), "DCIM", "100MEDIA", $"A1B2C3D_123456_{RunDates.Compact}083004_0001.MP4"),
            Path.Combine(Path.GetDirectoryName(first)!, $"A1B2C3D_123456_{RunDates.Compact}083004_0002.MP4"));
        Tools.Dotnet("deviceagent", ["ingest", volume, "--data", _scenario.Data]).ExitCode.Should().Be(0);
        _scenario.Drain().ExitCode.Should().Be(0);

        var overlap = _scenario.Interruptions().Should().ContainSingle().Subject;

        overlap.GetProperty("kind").GetString().Should().Be("overlap");
        overlap.GetProperty("gapSeconds").GetDouble().Should().BeApproximately(6, 0.2);
    }
}
