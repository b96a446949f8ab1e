using System.Net.Http.Json;
using System.Text.Json;

namespace EvidenceVault.Worker.Tests.Jobs;

public sealed class ProbeTests : IDisposable
{
    private readonly Scenario _scenario = new();

    public void Dispose() => _scenario.Dispose();

    [Fact]
    public void Drain_RealClips_LedgersDurationCodecsResolutionAndCreationTime()
    {
        var clips = _scenario.Dock("--size", "320x240", "clip:3", "imp:2");

        var drain = _scenario.Drain();

        drain.ExitCode.Should().Be(0, drain.Error);
        var probed = _scenario.Clips().ToDictionary(c => c.GetProperty("sha256").GetString()!, c => c.GetProperty("probe"));
        var first = probed[Scenario.Sha(clips[0])];
        first.GetProperty("status").GetString().Should().Be("probed");
        first.GetProperty("durationSeconds").GetDouble().Should().BeApproximately(3.0, 0.1);
        first.GetProperty("videoCodec").GetString().Should().Be("h264");
        first.GetProperty("audioCodec").GetString().Should().Be("aac");
        first.GetProperty("width").GetInt32().Should().Be(320);
        first.GetProperty("height").GetInt32().Should().Be(240);
        first.GetProperty("frameRate").GetDouble().Should().Be(15);
        first.GetProperty("creationTime").GetString().Should().StartWith(RunDates.Utc("08:30:00").TrimEnd('Z'));
        _scenario.Entries("ClipProbed").Should().HaveCount(2);
        _scenario.Entries("ClipProbed")[0].GetProperty("payload").GetProperty("probeDigest").GetString().Should().HaveLength(64);
    }

    [Fact]
    public void Drain_TruncatedAndNonVideoClips_AreProbeFailedNamingTheFileAndStayInCustody()
    {
        var clips = _scenario.Dock("clip:2", "truncated:4", "notvideo");

        _scenario.Drain().ExitCode.Should().Be(0);

        var failed = _scenario.Entries("ProbeFailed");
        failed.Should().HaveCount(2);
        foreach (var entry in failed)
        {
            var error = entry.GetProperty("payload").GetProperty("error").GetString();
            var sha = entry.GetProperty("payload").GetProperty("sha256").GetString();
            var name = clips.Single(c => Scenario.Sha(c) == sha).GetProperty("fileName").GetString();
            error.Should().StartWith(name + ": ffprobe could not read it");
        }

        _scenario.Clips().Where(c => c.GetProperty("flags").EnumerateArray().Any(f => f.GetString() == "probe-failed")).Should().HaveCount(2);
        _scenario.Custody("verify", "--objects").ExitCode.Should().Be(0, "a clip that cannot be probed is still in custody, untouched");
    }

    [Fact]
    public async Task ClipRecord_CliAndApi_ShowTheSameFieldsAndFlagsOfAnUnreadableClip()
    {
        // GET /clips once lacked the probe-failed flag the CLI showed, and named ledgerIndex ledgerEntry.
        var clips = _scenario.Dock("clip:2", "notvideo");
        _scenario.Drain().ExitCode.Should().Be(0);
        var key = JsonDocument.Parse(_scenario.Custody("account", "issue", "--id", "clerk01", "--kind", "person", "--reason", "test", "--by", "admin", "--json").Output)
            .RootElement.GetProperty("key").GetString()!;
        _scenario.Custody("role", "grant", "--user", "clerk01", "--role", "clerk", "--reason", "test", "--by", "admin").ExitCode.Should().Be(0);
        var address = new Uri($"http://127.0.0.1:{Tools.FreePort()}");
        using var api = new ApiProcess(_scenario.Data, address, dll: Path.Combine(Tools.RepoRoot, "out", "Ingest.Api", "Ingest.Api.dll"));
        using var client = new HttpClient { BaseAddress = address };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);

        var fromApi = (await client.GetFromJsonAsync<JsonElement>("/clips")).EnumerateArray().ToList();

        var fromCli = _scenario.Clips();
        fromApi.Should().HaveSameCount(fromCli);
        fromApi.Zip(fromCli).Should().OnlyContain(pair => System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(pair.First.GetRawText()), System.Text.Json.Nodes.JsonNode.Parse(pair.Second.GetRawText())), "one record shape for every host");
        var unreadable = fromApi.Single(c => Scenario.Sha(c) == Scenario.Sha(clips[1]));
        unreadable.GetProperty("flags").EnumerateArray().Select(f => f.GetString()).Should().Contain("probe-failed");
        unreadable.GetProperty("ledgerIndex").GetInt64().Should().Be(unreadable.GetProperty("ledgerEntry").GetInt64());
        unreadable.GetProperty("probe").GetProperty("status").GetString().Should().Be("failed");
    }

    [Fact]
    public void Drain_FastStartClipCutShort_IsFlaggedTruncatedWithWhatIsMissingAndTheMissingPartIsAGap()
    {
        // The index comes first, so ffprobe still reads a 10 s duration from a file holding about 5 s.
        var clips = _scenario.Dock("cutshort:10", "clip:2");

        _scenario.Drain().ExitCode.Should().Be(0);

        var cut = _scenario.Clips().Single(c => Scenario.Sha(c) == Scenario.Sha(clips[0]));
        cut.GetProperty("flags").EnumerateArray().Select(f => f.GetString()).Should().Contain("truncated");
        var probe = cut.GetProperty("probe");
        probe.GetProperty("durationSeconds").GetDouble().Should().BeApproximately(10, 0.2, "the index still says 10 s");
        var truncated = probe.GetProperty("truncated");
        truncated.GetProperty("missingBytes").GetInt64().Should().BeGreaterThan(0);
        truncated.GetProperty("missingSeconds").GetDouble().Should().BeInRange(3, 7);
        var media = truncated.GetProperty("mediaSeconds").GetDouble();
        _scenario.Custody("clips").Output.Should().Contain("truncated").And.Contain("cut short");
        // R4: what the file lacks is a gap in the recording before the next clip (recorded right after the full 10 s).
        var gap = _scenario.Interruptions().Should().ContainSingle().Subject;
        gap.GetProperty("previousClipSha256").GetString().Should().Be(Scenario.Sha(clips[0]));
        gap.GetProperty("gapSeconds").GetDouble().Should().BeApproximately(10 - media, 0.2);
        _scenario.Clips().Single(c => Scenario.Sha(c) == Scenario.Sha(clips[1])).GetProperty("flags").EnumerateArray().Should().BeEmpty("a whole clip is not flagged");
    }

    [Fact]
    public void Drain_TimestampJumpInsideAnMp4_IsRecordedAsADiscontinuity()
    {
        _scenario.Dock("jump:6", "clip:2");

        _scenario.Drain().ExitCode.Should().Be(0);

        var jumpy = _scenario.Clips().Single(c => c.GetProperty("flags").EnumerateArray().Any(f => f.GetString() == "timestamp-discontinuity"));
        var jump = jumpy.GetProperty("probe").GetProperty("discontinuities").EnumerateArray().Single();
        jump.GetProperty("jumpSeconds").GetDouble().Should().BeApproximately(30.07, 0.1);
        jump.GetProperty("atSeconds").GetDouble().Should().BeApproximately(2.93, 0.1);
    }

    [Fact]
    public void Drain_SameJobDeliveredTwice_LedgersTheProbeOnce()
    {
        _scenario.Dock("clip:2");
        _scenario.Drain().ExitCode.Should().Be(0);
        // At-least-once delivery: a lease that ran out hands the same job to another worker.
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_scenario.Data, "catalog.db")};Pooling=false"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE work_item SET state = 'pending'";
            command.ExecuteNonQuery().Should().BeGreaterThan(0);
        }

        var again = _scenario.Drain();

        again.ExitCode.Should().Be(0);
        again.Output.Should().Contain("1 jobs done");
        _scenario.Entries("ClipProbed").Should().ContainSingle();
    }

    [Fact]
    public async Task Drain_TwoWorkersAtOnce_ProbeEveryClipExactlyOnce()
    {
        _scenario.Dock(Enumerable.Repeat("clip:1", 12).ToArray());

        var results = await Task.WhenAll(Task.Run(() => _scenario.Drain("worker-a")), Task.Run(() => _scenario.Drain("worker-b")));

        results.Should().OnlyContain(r => r.ExitCode == 0);
        var probes = _scenario.Entries("ClipProbed");
        probes.Select(e => e.GetProperty("payload").GetProperty("sha256").GetString()).Should().OnlyHaveUniqueItems().And.HaveCount(12);
    }

    [Fact]
    public void Worker_FfprobeMissing_IsAClearStartUpError()
    {
        _scenario.Dock("clip:1");
        var bin = Path.Combine(_scenario.Work, "bin");
        Directory.CreateDirectory(bin);

        var result = Tools.Run("/usr/bin/env", ["PATH=" + bin, Tools.DotnetHost, Path.Combine(AppContext.BaseDirectory, "Ingest.Worker.dll"), "--data", _scenario.Data, "--drain"]);

        result.ExitCode.Should().Be(1);
        result.Error.Trim().Should().Be("Ingest.Worker: ffprobe was not found: the worker needs ffmpeg and ffprobe (Debian package ffmpeg) on PATH.");
    }
}
