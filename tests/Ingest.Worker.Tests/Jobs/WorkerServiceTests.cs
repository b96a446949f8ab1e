using System.Diagnostics;
using System.Text.Json;

namespace EvidenceVault.Worker.Tests.Jobs;

/// <summary>The worker as systemd runs it: a service until SIGTERM, then a clean stop.</summary>
public sealed class WorkerServiceTests : IDisposable
{
    private readonly Scenario _scenario = new();

    public void Dispose() => _scenario.Dispose();

    [Fact]
    public async Task Service_StoppedBySigterm_FinishesCleanlyWithACheckpointAndJsonLogs()
    {
        var clips = _scenario.Dock("clip:2", "clip:2");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Ingest.Worker.dll"), "--data", _scenario.Data, "--worker-id", "svc-1" })
        {
            start.ArgumentList.Add(arg);
        }

        using var worker = Process.Start(start)!;
        var output = worker.StandardOutput.ReadToEndAsync();
        var errors = worker.StandardError.ReadToEndAsync();
        var waited = Stopwatch.StartNew();
        while (_scenario.Clips().Count(c => c.TryGetProperty("probe", out _)) < clips.Count && waited.Elapsed < TimeSpan.FromSeconds(90))
        {
            Thread.Sleep(500);
        }

        worker.HasExited.Should().BeFalse("without --drain the worker is a service and keeps waiting for work");
        Tools.Run("kill", ["-TERM", worker.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExitCode.Should().Be(0);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await worker.WaitForExitAsync(timeout.Token); // SIGTERM stops the host gracefully, or this throws
        var stderr = await errors;
        worker.ExitCode.Should().Be(0, stderr);
        (await output).Should().MatchRegex(@"\d+ jobs done, 0 parked\.");
        var logs = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        logs.Should().Contain(e => e.GetProperty("@mt").GetString()!.StartsWith("Worker {WorkerId}", StringComparison.Ordinal) && e.GetProperty("WorkerId").GetString() == "svc-1",
            "stderr is redirected, so each event is one compact JSON line");
        var verify = _scenario.Custody("verify");
        verify.ExitCode.Should().Be(0, verify.Output);
        _scenario.Entries("ClipProbed").Should().HaveCount(2);
    }
}
