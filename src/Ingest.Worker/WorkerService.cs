using EvidenceVault.Custody;
using EvidenceVault.Worker.Jobs;
using Microsoft.Extensions.Hosting;
using Serilog;

namespace EvidenceVault.Worker;

/// <summary>What the worker was asked to do: run until stopped, or drain what is pending and stop.</summary>
internal sealed record WorkerRun(string WorkerId, bool Drain);

/// <summary>
/// The worker as a hosted service: runs the job loop until the host stops it (SIGTERM, Ctrl+C, or
/// the end of a drain), then signs a checkpoint over what it recorded.
/// </summary>
internal sealed class WorkerService(Vault vault, WorkerRun run, IHostApplicationLifetime lifetime) : BackgroundService
{
    public JobRunner Runner { get; } = new(vault, run.WorkerId, vault.Policy.InterruptionPolicy());

    /// <summary>Why the loop ended early, if it did: the program exits 1 naming it (the host alone would only log it).</summary>
    public Exception? Failure { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Runner.RunAsync(run.Drain, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped between jobs or mid-job: a job cut short keeps its lease and is taken up again.
        }
        catch (Exception e)
        {
            Failure = e;
        }
        finally
        {
            await vault.CheckpointAsync().ConfigureAwait(false);
            Log.Information("Worker {WorkerId}: {Done} jobs done, {Parked} parked", run.WorkerId, Runner.Done, Runner.Parked);
            lifetime.StopApplication();
        }
    }
}
