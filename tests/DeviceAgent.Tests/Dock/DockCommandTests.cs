using System.Collections.Concurrent;
using System.Diagnostics;

namespace EvidenceVault.DeviceAgent.Tests.Dock;

/// <summary>deviceagent dock: several docked cameras at once, one of them failing.</summary>
public sealed class DockCommandTests : IDisposable
{
    private readonly string _work = Tools.TempDirectory("ev-dock");

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void Dock_ThreeCamerasOneFailing_TheOthersAreTakenWhole()
    {
        var root = Path.Combine(_work, "mnt");
        Directory.CreateDirectory(root);
        var cameras = new[] { ("A1B2C3D", 3), ("B2C3D4E", 2), ("C3D4E5F", 2) };
        foreach (var (serial, clips) in cameras)
        {
            var volume = Tools.MakeCamera(Path.Combine(_work, serial), ["--serial", serial, .. Enumerable.Repeat("clip:1", clips)]);
            Directory.Move(volume, Path.Combine(root, serial));
        }

        Tools.Run("mkfifo", [Path.Combine(root, "B2C3D4E", "broken.mp4")]).ExitCode.Should().Be(0);
        var data = Path.Combine(_work, "data");

        var result = Tools.Dotnet("deviceagent", ["dock", root, "--data", data, "--once", "--parallel", "3", "--json"]);

        result.ExitCode.Should().Be(1, "one camera had a file that could not be taken");
        var outcomes = result.JsonLines();
        outcomes.Where(o => o.GetProperty("status").GetString() == "in-custody")
            .GroupBy(o => o.GetProperty("deviceSerial").GetString())
            .ToDictionary(g => g.Key!, g => g.Count())
            .Should().BeEquivalentTo(new Dictionary<string, int> { ["A1B2C3D"] = 3, ["B2C3D4E"] = 2, ["C3D4E5F"] = 2 });
        outcomes.Should().ContainSingle(o => o.GetProperty("status").GetString() == "failed");
        Tools.Dotnet("custody", ["verify", "--data", data, "--objects"]).ExitCode.Should().Be(0);
    }

    [Fact]
    public async Task DockService_TakesACameraWhenItIsDocked_NotAtTheNextPoll()
    {
        var root = Path.Combine(_work, "mnt");
        using var service = await DockService.StartAsync(root, Path.Combine(_work, "data"), pollSeconds: 600);
        var volume = Tools.MakeCamera(Path.Combine(_work, "A1B2C3D"), "--serial", "A1B2C3D", "clip:1", "clip:1");

        Directory.Move(volume, Path.Combine(root, "A1B2C3D"));

        var outcomes = await service.OutcomesAsync(2, TimeSpan.FromSeconds(90));
        outcomes.Should().OnlyContain(o => o.GetProperty("status").GetString() == "in-custody", "the camera is taken when it appears, not ten minutes later");
        (await service.StopAsync()).Should().Be(0);
    }

    [Fact]
    public async Task DockService_AnEmptyMountPointIsNotAnEmptyCamera_ItsVolumeIsTakenWhenItArrives()
    {
        var root = Path.Combine(_work, "mnt");
        using var service = await DockService.StartAsync(root, Path.Combine(_work, "data"), pollSeconds: 1);
        var mountPoint = Path.Combine(root, "usb0");
        Directory.CreateDirectory(mountPoint);
        await Task.Delay(TimeSpan.FromSeconds(3)); // several polls see the empty mount point
        var volume = Tools.MakeCamera(Path.Combine(_work, "B2C3D4E"), "--serial", "B2C3D4E", "clip:1");

        // The volume is mounted over the directory: its files appear inside it, no new directory under the root.
        foreach (var entry in Directory.EnumerateDirectories(volume))
        {
            Directory.Move(entry, Path.Combine(mountPoint, Path.GetFileName(entry)));
        }

        var outcomes = await service.OutcomesAsync(1, TimeSpan.FromSeconds(90));
        outcomes.Should().ContainSingle().Which.GetProperty("status").GetString().Should().Be("in-custody");
        (await service.StopAsync()).Should().Be(0);
    }

    [Fact]
    public async Task DockService_StoppedMidCamera_ExitsOneWithTheLedgerWhole_AndTheNextDockTakesTheRest()
    {
        var root = Path.Combine(_work, "mnt");
        var data = Path.Combine(_work, "data");
        using var service = await DockService.StartAsync(root, data, pollSeconds: 600);
        // 20 files of 16 MiB, each fsynced into the vault: seconds of work, stopped once the first is in custody.
        await MountLargeCameraAsync(_work, root, "C3D4E5F", 20);
        await service.LoggedAsync("in custody as", TimeSpan.FromSeconds(60));

        var code = await service.StopAsync();

        code.Should().Be(1, "a camera was cut short");
        service.Errors.Should().Contain("stopped before every clip was taken").And.NotContain("Unhandled exception");
        Directory.GetFiles(Path.Combine(root, "C3D4E5F"), "*", SearchOption.AllDirectories).Should().HaveCount(20, "nothing leaves a camera that is not in custody");
        Directory.GetFiles(Path.Combine(data, "objects", "tmp")).Should().BeEmpty("a clip being read at the stop leaves the spool; it is still on the camera");
        var verified = Tools.Dotnet("custody", ["verify", "--data", data, "--objects", "--json"]);
        verified.ExitCode.Should().Be(0);
        System.Text.Json.JsonDocument.Parse(verified.Output).RootElement.GetProperty("entriesAfterLastCheckpoint").GetInt64().Should().Be(0, "what was taken before the stop is checkpointed at the stop");
        var again = Tools.Dotnet("deviceagent", ["ingest", Path.Combine(root, "C3D4E5F"), "--data", data, "--json"]);
        again.ExitCode.Should().Be(0);
        again.JsonLines().Should().HaveCount(20).And.OnlyContain(o => o.GetProperty("status").GetString() == "in-custody" || o.GetProperty("status").GetString() == "already-in-custody");
    }

    /// <summary>
    /// Writes a camera of <paramref name="clips"/> random 16 MiB clips beside <paramref name="root"/>, then
    /// moves it under the root at once, as a mount appears: a dock of seconds, long enough to stop mid-way.
    /// </summary>
    internal static async Task MountLargeCameraAsync(string work, string root, string serial, int clips)
    {
        var volume = Path.Combine(work, serial, "DCIM", "100MEDIA");
        Directory.CreateDirectory(volume);
        var bytes = new byte[16 << 20];
        for (var i = 1; i <= clips; i++)
        {
            Random.Shared.NextBytes(bytes);
            await File.WriteAllBytesAsync(Path.Combine(volume, $"{serial}_123456_20261123100{i:D3}_{i:D4}.MP4"), bytes);
        }

        Directory.Move(Path.Combine(work, serial), Path.Combine(root, serial));
    }

    /// <summary><c>deviceagent dock</c> running as the dock PC's service, its --json outcomes collected as they print.</summary>
    internal sealed class DockService : IDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _lines = new();
        private readonly TaskCompletionSource _watching = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentQueue<string> _errors = new();

        private DockService(Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) =>
            {
                if (!string.IsNullOrWhiteSpace(e.Data))
                {
                    _lines.Enqueue(e.Data);
                }
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    _errors.Enqueue(e.Data);
                }

                if (e.Data?.Contains("Dock service watching", StringComparison.Ordinal) == true)
                {
                    _watching.TrySetResult();
                }
            };
        }

        /// <param name="agent">The agent to run: the test build by default; a deployment's test passes the published one, as a dock PC installs it.</param>
        public static async Task<DockService> StartAsync(string root, string data, int pollSeconds, IReadOnlyDictionary<string, string>? environment = null, string? agent = null)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            {
                start.Environment[name] = value;
            }

            foreach (var arg in new[] { agent ?? Path.Combine(AppContext.BaseDirectory, "deviceagent.dll"), "dock", root, "--data", data, "--poll-seconds", pollSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json" })
            {
                start.ArgumentList.Add(arg);
            }

            var service = new DockService(Process.Start(start)!);
            service._process.BeginOutputReadLine();
            service._process.BeginErrorReadLine();
            try
            {
                await service._watching.Task.WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException)
            {
                service.Dispose();
                throw new TimeoutException("the dock service did not start watching within 60 s: " + service.Errors);
            }

            return service;
        }

        public async Task<IReadOnlyList<System.Text.Json.JsonElement>> OutcomesAsync(int count, TimeSpan timeout)
        {
            var waited = Stopwatch.StartNew();
            while (_lines.Count < count && waited.Elapsed < timeout)
            {
                await Task.Delay(100);
            }

            _lines.Should().HaveCount(count, $"the service printed {count} outcomes within {timeout.TotalSeconds} s");
            return _lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        }

        /// <summary>What the service logged (stderr).</summary>
        public string Errors => string.Join('\n', _errors);

        /// <summary>Waits until the service's log has a line containing <paramref name="text"/>.</summary>
        public async Task LoggedAsync(string text, TimeSpan timeout)
        {
            var waited = Stopwatch.StartNew();
            while (!_errors.Any(l => l.Contains(text, StringComparison.Ordinal)) && waited.Elapsed < timeout)
            {
                await Task.Delay(20);
            }

            Errors.Should().Contain(text);
        }

        /// <summary>Stops the service as systemd does (SIGTERM) and returns its exit code.</summary>
        public async Task<int> StopAsync()
        {
            Tools.Run("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExitCode.Should().Be(0);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }
    }
}
