using Minio;
using System.Security.Cryptography;
using System.Text.Json;

namespace EvidenceVault.Worker.Tests.Deployment;

/// <summary>The servers a deployment runs on, for the run: PostgreSQL and Ceph radosgw on 127.0.0.1.</summary>
[CollectionDefinition(Name)]
public sealed class DeploymentCollection : ICollectionFixture<PostgresServer>, ICollectionFixture<RadosGateway>
{
    public const string Name = "deployment";
}

/// <summary>
/// The same programs in deployment mode: ledger and work queue on a real PostgreSQL, originals on a
/// real Ceph RGW with object lock, several nodes each with only a catalog replica of their own.
/// </summary>
[Collection(DeploymentCollection.Name)]
public sealed class DeploymentTests(PostgresServer postgres, RadosGateway gateway) : IDisposable
{
    private readonly string _work = Tools.TempDirectory("ev-deploy");

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task DockWorkersAndClerk_OnSeparateNodes_ShareOneLedgerOnPostgresAndOneStoreOnS3()
    {
        var environment = Environment();

        // A dock (node "dock") takes a camera with an interrupted recording into custody, running the
        // agent as a dock PC installs it (the ReadyToRun publish with its own runtime settings).
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam"), "clip:2", "gap:300", "clip:2", "notvideo");
        var dock = Tools.Published("deviceagent", "deviceagent", ["ingest", volume, "--data", Node("dock"), "--json"], environment);
        dock.ExitCode.Should().Be(0, dock.Error);
        var clips = dock.JsonLines();
        clips.Should().HaveCount(3);

        // Two workers on two other nodes drain the shared queue: each job done once.
        var workers = new[] { "worker-1", "worker-2" }.Select(name => Task.Run(() =>
            Tools.Dotnet("Ingest.Worker", ["--data", Node(name), "--drain", "--worker-id", name], environment))).ToArray();
        var drained = await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(3));
        drained.Should().OnlyContain(w => w.ExitCode == 0);

        // A clerk's node, set up from nothing but the configuration, sees everything.
        var log = Tools.Dotnet("custody", ["log", "--data", Node("clerk"), "--json"], environment).JsonLines();
        log.Count(e => e.GetProperty("type").GetString() == "ClipProbed").Should().Be(2);
        log.Count(e => e.GetProperty("type").GetString() == "ProbeFailed").Should().Be(1, "the non-video file stays in custody, flagged");
        log.Where(e => e.GetProperty("type").GetString() is "ClipProbed" or "ProbeFailed").Select(e => e.GetProperty("actor").GetString())
            .Should().OnlyContain(a => a == "worker:worker-1" || a == "worker:worker-2");
        var listed = Tools.Dotnet("custody", ["clips", "--data", Node("clerk"), "--json"], environment).JsonLines();
        listed.Should().HaveCount(3);
        var interruptions = Tools.Dotnet("custody", ["interruptions", "--data", Node("clerk"), "--json"], environment).JsonLines();
        interruptions.Should().ContainSingle().Which.GetProperty("gapSeconds").GetDouble().Should().BeApproximately(300, 1);

        // Custody verifies on any node, originals re-hashed from S3, checkpoints as published there.
        var verify = Tools.Dotnet("custody", ["verify", "--data", Node("clerk"), "--objects"], environment);
        verify.ExitCode.Should().Be(0, verify.Output + verify.Error);
        verify.Output.Should().Contain("3 objects re-hashed");

        // The dock's own folder holds no originals: they are in the bucket.
        Directory.Exists(Path.Combine(Node("dock"), "objects")).Should().BeFalse();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(volume, "DCIM"), "*", SearchOption.AllDirectories))
        {
            var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));
            clips.Select(c => c.GetProperty("sha256").GetString()).Should().Contain(sha);
        }
    }

    [Fact]
    public async Task EvidenceUse_ExtendsTheObjectLockOfTheCasesOriginals_AndLedgersTheNewDate()
    {
        var environment = Environment();
        var clips = Tools.Dotnet("deviceagent", ["ingest", Tools.MakeCamera(Path.Combine(_work, "cam-r6"), "clip:1", "clip:1"), "--data", Node("dock"), "--json"], environment).JsonLines();
        var sha = clips[0].GetProperty("sha256").GetString()!;
        string Custody(params string[] args)
        {
            var result = Tools.Dotnet("custody", args, environment);
            result.ExitCode.Should().Be(0, result.Error);
            return result.Output;
        }

        Custody("case", "register", "--data", Node("clerk"), "--number", "冀执罚〔2026〕9号", "--cause", "占道经营", "--by", "clerk01");
        Custody("case", "link", "--data", Node("clerk"), "--number", "冀执罚〔2026〕9号", "--clip", sha, "--reason", "recorded the matter", "--by", "clerk01");
        Custody("retention", "record", "--data", Node("clerk"), "--kind", "evidence", "--subject", "case:冀执罚〔2026〕9号", "--by", "clerk01");

        var extended = Tools.Dotnet("custody", ["log", "--data", Node("clerk"), "--json"], environment).JsonLines()
            .Should().ContainSingle(e => e.GetProperty("type").GetString() == "RetentionExtended").Subject.GetProperty("payload");
        extended.GetProperty("sha256").GetString().Should().Be(sha, "only the linked clip is used as evidence");
        var lockedUntil = DateTimeOffset.Parse(extended.GetProperty("lockedUntil").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        lockedUntil.Should().Be(new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero), "long-term is locked as far as the store can hold a date");

        var endpoint = new Uri(gateway.Endpoint);
        using var client = new Minio.MinioClient().WithEndpoint(endpoint.Host, endpoint.Port).WithCredentials(gateway.AccessKey, gateway.SecretKey).Build();
        var bucket = environment["EVIDENCEVAULT_S3_BUCKET"];
        var linked = await client.GetObjectRetentionAsync(new Minio.DataModel.Args.GetObjectRetentionArgs().WithBucket(bucket).WithObject("sha256/" + sha));
        DateTimeOffset.Parse(linked.RetainUntilDate, System.Globalization.CultureInfo.InvariantCulture).Should().BeCloseTo(lockedUntil, TimeSpan.FromSeconds(1));
        var other = await client.GetObjectRetentionAsync(new Minio.DataModel.Args.GetObjectRetentionArgs().WithBucket(bucket).WithObject("sha256/" + clips[1].GetProperty("sha256").GetString()));
        // The default period is a day here, at most the six months or a year a profile asks for: far short of the long-term lock.
        DateTimeOffset.Parse(other.RetainUntilDate, System.Globalization.CultureInfo.InvariantCulture).Should()
            .BeBefore(RunDates.System.GetCurrentInstant().ToDateTimeOffset().AddDays(367), "the unlinked clip keeps the default period");
    }

    [Fact]
    public async Task EveryOriginal_IsLockedAtLeastAsLongAsTheProfileRequires()
    {
        // Changzhi police: at least six months (MPS 2016 on-site recording rule, Art. 13); configured: 1 day.
        var environment = Environment();
        environment["EVIDENCEVAULT_POLICY"] = "changzhi-police";
        var clip = Tools.Dotnet("deviceagent", ["ingest", Tools.MakeCamera(Path.Combine(_work, "cam-min"), "clip:1"), "--data", Node("dock"), "--json"], environment).JsonLines().Single();
        var endpoint = new Uri(gateway.Endpoint);
        using var client = new MinioClient().WithEndpoint(endpoint.Host, endpoint.Port).WithCredentials(gateway.AccessKey, gateway.SecretKey).Build();
        var retention = await client.GetObjectRetentionAsync(new Minio.DataModel.Args.GetObjectRetentionArgs()
            .WithBucket(environment["EVIDENCEVAULT_S3_BUCKET"]).WithObject("sha256/" + clip.GetProperty("sha256").GetString()));
        var until = DateTimeOffset.Parse(retention.RetainUntilDate, System.Globalization.CultureInfo.InvariantCulture);
        (until - RunDates.System.GetCurrentInstant().ToDateTimeOffset()).TotalDays.Should().BeGreaterThan(180);
    }

    [Fact]
    public void NodeWithoutTheSigningKey_OrWithPartOfTheSettings_IsRefusedWithAClearError()
    {
        var environment = Environment();
        environment.Remove("EVIDENCEVAULT_SIGNING_KEY");
        var noKey = Tools.Dotnet("custody", ["log", "--data", Node("x")], environment);
        noKey.ExitCode.Should().Be(1);
        noKey.Error.Should().Contain("EVIDENCEVAULT_SIGNING_KEY");

        var partial = Environment();
        partial.Remove("EVIDENCEVAULT_S3_BUCKET");
        var missing = Tools.Dotnet("custody", ["log", "--data", Node("y")], partial);
        missing.ExitCode.Should().Be(1);
        missing.Error.Should().Contain("EVIDENCEVAULT_S3_BUCKET");

        var wrongSecret = Environment();
        wrongSecret["EVIDENCEVAULT_S3_SECRET_KEY"] = "not-the-secret";
        var refused = Tools.Dotnet("deviceagent", ["ingest", Tools.MakeCamera(Path.Combine(_work, "cam2"), "clip:1"), "--data", Node("z")], wrongSecret);
        refused.ExitCode.Should().Be(1);
        refused.Error.Should().Contain("S3");
    }

    [Fact]
    public async Task GatewayStoppedMidIngest_TheDockRetriesAndCompletes_WithNoEntryForAMissingObject()
    {
        var environment = Environment();
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam-s3"), [.. Enumerable.Repeat("clip:2", 16)]);
        var spool = Path.Combine(Node("dock"), "spool");
        // The gateway goes away while the camera is paused mid-way: the clips read after it wait it out.
        var dock = await RunWhileAsync(["ingest", volume, "--data", Node("dock"), "--json"], environment, async resume =>
        {
            gateway.StopGateway();
            resume();
            await Task.Delay(TimeSpan.FromSeconds(3));
            gateway.StartGateway();
        });
        dock.ExitCode.Should().Be(0, dock.Error);
        dock.Error.Should().Contain("S3 at", "the outage hit an upload and was waited out");
        Directory.EnumerateFiles(spool).Should().BeEmpty("every spooled copy leaves the spool once its clip is stored");
        AssertEveryClipOnceAndVerified(environment, volume, 16);
    }

    [Fact]
    public async Task PostgresRestartedMidIngest_NoEntryIsLostAndNoneLedgeredTwice()
    {
        var environment = Environment();
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam-pg"), [.. Enumerable.Repeat("clip:2", 16)]);
        var dock = await RunWhileAsync(["ingest", volume, "--data", Node("dock"), "--json"], environment, resume =>
        {
            postgres.Restart();
            resume();
            return Task.CompletedTask;
        });
        dock.ExitCode.Should().Be(0, dock.Error);
        dock.Error.Should().Contain("PostgreSQL:", "the restart cut a connection the dock was using");
        AssertEveryClipOnceAndVerified(environment, volume, 16);
    }

    [Fact]
    public async Task GarbageRowInsertedWithTheApplicationsRole_NodesKeepServing_HealthAndVerifyNameIt_AndNothingIsSignedOverIt()
    {
        // Issue 18 §11: one row the application's own database role may insert stopped every node (422 "Unknown ledger entry version 0.").
        var environment = DeploymentSettings.New(postgres, gateway, "evidence.test/garbage");
        var camera = Path.Combine(_work, "cam-garbage", "DCIM");
        Directory.CreateDirectory(camera);
        File.WriteAllBytes(Path.Combine(camera, "A1B2C3D_123456_20261201083000_0001.MP4"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(5000));
        var dock = Tools.Published("deviceagent", "deviceagent", ["ingest", Path.Combine(_work, "cam-garbage"), "--data", Node("dock")], environment);
        dock.ExitCode.Should().Be(0, dock.Error);
        var issued = Tools.Dotnet("custody", ["account", "issue", "--data", Node("admin"), "--id", "auditor01", "--kind", "person", "--reason", "audit", "--by", "admin", "--json"], environment);
        issued.ExitCode.Should().Be(0, issued.Error);
        var key = System.Text.Json.JsonDocument.Parse(issued.Output).RootElement.GetProperty("key").GetString()!;
        Tools.Dotnet("custody", ["role", "grant", "--data", Node("admin"), "--user", "auditor01", "--role", "auditor", "--reason", "audit", "--by", "admin"], environment).ExitCode.Should().Be(0);
        long garbage;
        await using (var database = Npgsql.NpgsqlDataSource.Create(environment["EVIDENCEVAULT_POSTGRES"]))
        {
            await using var size = database.CreateCommand("SELECT MAX(idx) + 1 FROM ledger_entry");
            garbage = (long)(await size.ExecuteScalarAsync())!;
            await using var insert = database.CreateCommand($"INSERT INTO ledger_entry VALUES ({garbage}, 0, 'RoleGranted', 'user:admin', '\\x00ff')");
            await insert.ExecuteNonQueryAsync();
        }

        var address = new Uri($"http://127.0.0.1:{Tools.FreePort()}");
        using (new ApiProcess(Path.Combine(_work, "api"), address, environment, Path.Combine(Tools.RepoRoot, "out", "Ingest.Api", "Ingest.Api.dll")))
        {
            using var client = new HttpClient { BaseAddress = address };
            var health = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("/health")).RootElement;
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
            var clips = await client.GetAsync("/clips");

            health.GetProperty("status").GetString().Should().Be("degraded");
            health.GetProperty("ledger").GetProperty("problem").GetString().Should().Contain($"central ledger entry {garbage}");
            clips.StatusCode.Should().Be(System.Net.HttpStatusCode.OK, "the node serves what its replica holds");
        }

        var verify = Tools.Dotnet("custody", ["verify", "--data", Node("clerk")], environment);
        var grant = Tools.Dotnet("custody", ["role", "grant", "--data", Node("admin"), "--user", "x", "--role", "auditor", "--reason", "r", "--by", "admin"], environment);

        verify.ExitCode.Should().Be(1, verify.Output + verify.Error);
        verify.Output.Should().Contain($"central ledger entry {garbage}");
        grant.ExitCode.Should().Be(1, grant.Output);
        grant.Error.Should().ContainEquivalentOf("run custody verify", "nothing is appended or signed over the row");
        Tools.Dotnet("custody", ["log", "--data", Node("clerk"), "--json"], environment).Output.Should().NotContain("\"user\":\"x\"");
    }

    [Fact]
    public async Task OriginalsPreSeededOrOverwrittenInTheBucket_OnlyTheVersionVerifiedAtIngestIsRecordedServedAndTheOthersAreNamed()
    {
        // Issue 18 §10: whoever holds the application's S3 credentials may put bytes under a key: before
        // the dock (same-size zeros, so a size check passes) or over an original after it.
        var environment = Environment();
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam-versions"), "clip:1", "clip:1");
        var files = Directory.EnumerateFiles(Path.Combine(volume, "DCIM"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(File.ReadAllBytes).ToArray();
        var shas = files.Select(b => Convert.ToHexStringLower(SHA256.HashData(b))).ToArray();
        var endpoint = new Uri(gateway.Endpoint);
        using var s3 = new MinioClient().WithEndpoint(endpoint.Host, endpoint.Port).WithCredentials(gateway.AccessKey, gateway.SecretKey).Build();
        var bucket = environment["EVIDENCEVAULT_S3_BUCKET"];
        async Task PutAsync(string sha, byte[] bytes)
        {
            using var stream = new MemoryStream(bytes);
            await s3.PutObjectAsync(new Minio.DataModel.Args.PutObjectArgs().WithBucket(bucket).WithObject("sha256/" + sha)
                .WithStreamData(stream).WithObjectSize(bytes.Length).WithContentType("application/octet-stream"));
        }

        // The bucket as an operator makes it (docs/deploy.md): with object lock, before the first dock.
        await s3.MakeBucketAsync(new Minio.DataModel.Args.MakeBucketArgs().WithBucket(bucket).WithObjectLock());
        await PutAsync(shas[0], new byte[files[0].Length]);
        var dock = Tools.Published("deviceagent", "deviceagent", ["ingest", volume, "--data", Node("dock"), "--json"], environment);
        dock.ExitCode.Should().Be(0, dock.Error);
        await PutAsync(shas[1], "forgery"u8.ToArray());

        // The ingest entry names the version the dock verified; it holds the camera's bytes.
        var recorded = Tools.Dotnet("custody", ["log", "--data", Node("clerk"), "--json"], environment).JsonLines()
            .Where(e => e.GetProperty("type").GetString() == "ClipIngested")
            .ToDictionary(e => e.GetProperty("payload").GetProperty("sha256").GetString()!, e => e.GetProperty("payload").GetProperty("storeVersion").GetString()!);
        recorded.Keys.Should().BeEquivalentTo(shas);
        for (var i = 0; i < files.Length; i++)
        {
            using var held = new MemoryStream();
            await s3.GetObjectAsync(new Minio.DataModel.Args.GetObjectArgs().WithBucket(bucket).WithObject("sha256/" + shas[i]).WithVersionId(recorded[shas[i]])
                .WithCallbackStream(stream => stream.CopyTo(held)));
            held.ToArray().Should().Equal(files[i], "the recorded version is the original");
        }

        // The clerk is served the originals, not the zeros put before nor the bytes put after.
        var issued = Tools.Dotnet("custody", ["account", "issue", "--data", Node("admin"), "--id", "clerk01", "--kind", "person", "--reason", "duty", "--by", "admin", "--json"], environment);
        issued.ExitCode.Should().Be(0, issued.Error);
        Tools.Dotnet("custody", ["role", "grant", "--data", Node("admin"), "--user", "clerk01", "--role", "clerk", "--reason", "duty", "--by", "admin"], environment).ExitCode.Should().Be(0);
        var address = new Uri($"http://127.0.0.1:{Tools.FreePort()}");
        using (new ApiProcess(Path.Combine(_work, "api"), address, environment, Path.Combine(Tools.RepoRoot, "out", "Ingest.Api", "Ingest.Api.dll")))
        {
            using var client = new HttpClient { BaseAddress = address };
            client.DefaultRequestHeaders.Authorization = new("Bearer", JsonDocument.Parse(issued.Output).RootElement.GetProperty("key").GetString());
            for (var i = 0; i < files.Length; i++)
            {
                (await client.GetByteArrayAsync($"/clips/{shas[i]}/content?reason=review")).Should().Equal(files[i]);
            }

            // A Range header never reaches another version: the whole verified version is served.
            using var ranged = new HttpRequestMessage(HttpMethod.Get, $"/clips/{shas[1]}/content?reason=review");
            ranged.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 6);
            using var answer = await client.SendAsync(ranged);
            (await answer.Content.ReadAsByteArrayAsync()).Should().Equal(files[1]);
        }

        // Verify names both as attempts on the originals.
        var verify = Tools.Dotnet("custody", ["verify", "--data", Node("clerk"), "--objects"], environment);
        verify.ExitCode.Should().Be(1, verify.Output + verify.Error);
        verify.Output.Should().MatchRegex($"object {shas[0]}: a version \\S+ with other bytes .*put under the original's key: an attempt on it");
        verify.Output.Should().MatchRegex($"object {shas[1]}: a newer version \\S+ with other bytes .*put over the original: an attempt on it");
    }

    private void AssertEveryClipOnceAndVerified(Dictionary<string, string> environment, string volume, int clips)
    {
        var ingested = Tools.Dotnet("custody", ["log", "--data", Node("clerk"), "--json"], environment).JsonLines()
            .Where(e => e.GetProperty("type").GetString() == "ClipIngested").ToList();
        ingested.Should().HaveCount(clips, "every clip once: none lost, none twice");
        ingested.Select(e => e.GetProperty("payload").GetProperty("clip").GetProperty("fileName").GetString()).Should().OnlyHaveUniqueItems();
        Directory.EnumerateFiles(Path.Combine(volume, "DCIM"), "*", SearchOption.AllDirectories).Should().HaveCount(clips);
        // No entry for an object the store does not hold, every original re-hashed from S3.
        var verify = Tools.Dotnet("custody", ["verify", "--data", Node("clerk"), "--objects"], environment);
        verify.ExitCode.Should().Be(0, verify.Output + verify.Error);
    }

    /// <summary>
    /// Runs deviceagent paused at its fourth camera file read (a fault point) and does <paramref name="fault"/>,
    /// which lets the agent go on when it calls its argument: the fault lands in the middle of the ingest
    /// on any machine, however fast, with clips already stored and twelve still to read.
    /// </summary>
    private async Task<Tools.Result> RunWhileAsync(string[] args, Dictionary<string, string> environment, Func<Action, Task> fault)
    {
        var signal = Path.Combine(_work, "paused");
        environment = new Dictionary<string, string>(environment) { ["EVIDENCEVAULT_FAULT"] = "camera-file-read:4:pause", ["EVIDENCEVAULT_FAULT_FILE"] = signal };
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "deviceagent.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!process.HasExited && !File.Exists(signal) && waited.Elapsed < TimeSpan.FromMinutes(2))
        {
            await Task.Delay(10);
        }

        process.HasExited.Should().BeFalse("the fault must land in the middle of the ingest{0}", process.HasExited ? $" (it exited {process.ExitCode}: {await error})" : string.Empty);
        File.Exists(signal).Should().BeTrue("the agent pauses at its fourth file");
        await fault(() => File.Delete(signal));
        File.Delete(signal);
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(4));
        return new Tools.Result(process.ExitCode, await output, await error);
    }

    private string Node(string name) => Path.Combine(_work, name);

    private Dictionary<string, string> Environment() => DeploymentSettings.New(postgres, gateway, "evidence.test/deployment");
}
