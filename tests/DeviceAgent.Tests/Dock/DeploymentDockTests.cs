namespace EvidenceVault.DeviceAgent.Tests.Dock;

/// <summary>The servers a deployment's dock talks to, for the run: PostgreSQL and Ceph radosgw on 127.0.0.1.</summary>
[CollectionDefinition(Name)]
public sealed class DockDeploymentCollection : ICollectionFixture<PostgresServer>, ICollectionFixture<RadosGateway>
{
    public const string Name = "dock-deployment";
}

/// <summary>The dock service in deployment mode (ledger on PostgreSQL, originals uploaded to S3).</summary>
[Collection(DockDeploymentCollection.Name)]
public sealed class DeploymentDockTests(PostgresServer postgres, RadosGateway gateway) : IDisposable
{
    private readonly string _work = Tools.TempDirectory("ev-dock-s3");

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task DockService_StoppedWhileClipsWaitToUpload_LeavesNothingInTheSpool_AndTheCameraWhole()
    {
        var root = Path.Combine(_work, "mnt");
        var data = Path.Combine(_work, "dock");
        Directory.CreateDirectory(root);
        using var service = await DockCommandTests.DockService.StartAsync(root, data, pollSeconds: 600, DeploymentSettings.New(postgres, gateway, "evidence.test/dock"), agent: Path.Combine(Tools.RepoRoot, "out", "deviceagent", "deviceagent.dll"));
        // Uploads are slower than reading the camera, so at the stop clips wait in the spool, read ahead.
        await DockCommandTests.MountLargeCameraAsync(_work, root, "D4E5F6A", 24);
        await service.LoggedAsync("in custody as", TimeSpan.FromSeconds(60));

        var code = await service.StopAsync();

        code.Should().Be(1, "a camera was cut short");
        service.Errors.Should().Contain("stopped before every clip was taken").And.NotContain("Unhandled exception");
        Directory.GetFiles(Path.Combine(data, "spool")).Should().BeEmpty("clips read ahead but not uploaded leave the spool; they are still on the camera");
        Directory.GetFiles(Path.Combine(root, "D4E5F6A"), "*", SearchOption.AllDirectories).Should().HaveCount(24, "nothing leaves a camera that is not in custody");
    }
}
