using System.Net;
using System.Net.Sockets;

namespace EvidenceVault.Tests;

/// <summary>
/// A real single-node Ceph radosgw on 127.0.0.1 for the test run (tests/infra/radosgw.sh), started once
/// for the collection and stopped by pid when it ends. Installed by ./build.sh test.
/// </summary>
public sealed class RadosGateway : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "ev-rgw-" + Guid.NewGuid().ToString("N")[..8]);

    public RadosGateway()
    {
        var port = FreePort();
        var script = Path.Combine(Tools.RepoRoot, "tests", "infra", "radosgw.sh");
        Tools.Result result;
        try
        {
            result = Tools.Run(script, ["start", _directory, port.ToString(System.Globalization.CultureInfo.InvariantCulture)], timeout: TimeSpan.FromSeconds(150));
        }
        catch (TimeoutException)
        {
            // The script was killed, but the daemons it had started are not its children any more.
            Dispose();
            throw;
        }

        if (result.ExitCode != 0)
        {
            Dispose();
            throw new InvalidOperationException($"radosgw did not start: {result.Error}");
        }

        var parts = result.Output.Trim().Split(' ');
        (Endpoint, AccessKey, SecretKey) = (parts[0], parts[1], parts[2]);
    }

    public string Endpoint { get; }

    public string AccessKey { get; }

    public string SecretKey { get; }

    /// <summary>Kills only the S3 gateway (the cluster stays); <see cref="StartGateway"/> brings it back on the same port.</summary>
    public void StopGateway() => Tools.Run(Path.Combine(Tools.RepoRoot, "tests", "infra", "radosgw.sh"), ["stop-gateway", _directory]).ExitCode.Should().Be(0);

    /// <summary>
    /// Freezes the S3 gateway (SIGSTOP): connections are still accepted by the kernel but nothing
    /// answers, as with a full or stalled cluster. Dispose the result to let it run again (SIGCONT).
    /// </summary>
    public IDisposable FreezeGateway()
    {
        Tools.Run(Path.Combine(Tools.RepoRoot, "tests", "infra", "radosgw.sh"), ["freeze-gateway", _directory]).ExitCode.Should().Be(0);
        return new Thaw(() => Tools.Run(Path.Combine(Tools.RepoRoot, "tests", "infra", "radosgw.sh"), ["thaw-gateway", _directory]));
    }

    private sealed class Thaw(Action thaw) : IDisposable
    {
        public void Dispose() => thaw();
    }

    public void StartGateway()
    {
        var result = Tools.Run(Path.Combine(Tools.RepoRoot, "tests", "infra", "radosgw.sh"), ["start-gateway", _directory], timeout: TimeSpan.FromSeconds(60));
        result.ExitCode.Should().Be(0, result.Error);
    }

    public void Dispose()
    {
        Stop();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private void Stop() => Tools.Run(Path.Combine(Tools.RepoRoot, "tests", "infra", "radosgw.sh"), ["stop", _directory]);

    private static int FreePort()
    {
        // Two consecutive free ports: radosgw on one, the monitor on the next.
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var port = Random.Shared.Next(20000, 40000);
            if (IsFree(port) && IsFree(port + 1))
            {
                return port;
            }
        }

        throw new InvalidOperationException("No free port pair on 127.0.0.1.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RadosGatewayCollection : ICollectionFixture<RadosGateway>
{
    public const string Name = "radosgw";
}
