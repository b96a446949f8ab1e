using EvidenceVault.Custody;
using Microsoft.Extensions.Hosting;
using Serilog;

namespace EvidenceVault.Worker;

/// <summary>
/// Retries what a witness missed (issue 20): every minute, a witness behind the newest checkpoint is
/// offered it again, with one consistency proof from what it last cosigned. Offers after each
/// checkpoint already happen beside ingest; this catches a witness that was down when they did.
/// </summary>
internal sealed class WitnessOfferService(Vault vault, WorkerRun run) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (run.Drain)
        {
            return; // a drain ends with its checkpoint, whose offer the vault settles on exit
        }

        using var timer = new PeriodicTimer(Every);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var statuses = await vault.Witnesses.StatusAsync(stoppingToken).ConfigureAwait(false);
                if (statuses.Any(s => s.CosignedSize != s.CheckpointSize))
                {
                    foreach (var status in await vault.Witnesses.OfferAsync(stoppingToken).ConfigureAwait(false))
                    {
                        Log.Information("Witness {Witness}: {Outcome}", status.Name, status.LastOffer);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
