using System.Collections.Concurrent;
using Spectre.Console;

namespace EvidenceVault.DeviceAgent.Ingest;

/// <summary>
/// Progress for a person at the dock's terminal: one bar per camera and one overall, each with
/// bytes, MB/s and time left (Spectre.Console). Used only when standard output is a terminal;
/// otherwise <see cref="IngestProgress"/> writes the same facts as structured log events.
/// </summary>
public sealed class TerminalProgress(ProgressContext context) : IngestProgress
{
    private readonly ConcurrentDictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);
    private readonly ProgressTask _overall = context.AddTask("[bold]all docked cameras[/]", autoStart: true, maxValue: 1);
    private double _overallMax;

    public static async Task<T> RunAsync<T>(Func<IngestProgress, Task<T>> work) =>
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(context => work(new TerminalProgress(context)));

    public override void CameraStarted(DockedCamera camera, int files, long bytes)
    {
        _tasks[camera.Volume] = context.AddTask(Markup.Escape($"{camera.Serial ?? Path.GetFileName(camera.Volume)}: {files} files"), maxValue: Math.Max(1, bytes));
        lock (_overall)
        {
            _overallMax += Math.Max(1, bytes);
            _overall.MaxValue = _overallMax;
        }
    }

    public override void BytesRead(DockedCamera camera, int bytes)
    {
        if (_tasks.TryGetValue(camera.Volume, out var task))
        {
            task.Increment(bytes);
            _overall.Increment(bytes);
        }
    }

    public override void ClipFinished(DockedCamera camera, ClipOutcome outcome)
    {
        // A clip already in custody is not read; count it as done.
        if (outcome.BytesRead == 0 && outcome.Size is { } size && _tasks.TryGetValue(camera.Volume, out var task))
        {
            task.Increment(size);
            _overall.Increment(size);
        }
    }

    public override void CameraFinished(DockedCamera camera, IReadOnlyList<ClipOutcome> outcomes)
    {
        if (_tasks.TryGetValue(camera.Volume, out var task))
        {
            var failed = outcomes.Count(o => !o.Custodied);
            task.Description = Markup.Escape($"{camera.Serial ?? Path.GetFileName(camera.Volume)}: {outcomes.Count - failed}/{outcomes.Count} in custody") +
                (failed > 0 ? $" [red]{failed} failed[/]" : " [green]✓[/]");
            task.Value = task.MaxValue;
            task.StopTask();
        }
    }
}
