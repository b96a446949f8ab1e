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

        // A dock (node "dock") takes a camera with an interrupted recording into custody.
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam"), "clip:2", "gap:300", "clip:2", "notvideo");
        var dock = Tools.Dotnet("deviceagent", ["ingest", volume, "--data", Node("dock"), "--json"], environment);
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

    private string Node(string name) => Path.Combine(_work, name);

    private Dictionary<string, string> Environment() => new()
    {
        ["EVIDENCEVAULT_POSTGRES"] = postgres.ConnectionString("ev_app", postgres.NewDatabase()),
        ["EVIDENCEVAULT_S3_ENDPOINT"] = gateway.Endpoint,
        ["EVIDENCEVAULT_S3_ACCESS_KEY"] = gateway.AccessKey,
        ["EVIDENCEVAULT_S3_SECRET_KEY"] = gateway.SecretKey,
        ["EVIDENCEVAULT_S3_BUCKET"] = "ev-" + Guid.NewGuid().ToString("N")[..12],
        ["EVIDENCEVAULT_S3_RETENTION_DAYS"] = "1",
        ["EVIDENCEVAULT_SIGNING_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        ["EVIDENCEVAULT_ORIGIN"] = "evidence.test/deployment",
        ["EVIDENCEVAULT_POLICY"] = "hebei-street-office",
    };
}
