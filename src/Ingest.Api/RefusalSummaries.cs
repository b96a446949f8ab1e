using EvidenceVault.Custody;

namespace EvidenceVault.Api;

/// <summary>Writes the summaries of repeated refusals once their window has passed, and the rest when the server stops (Custody.Access.Refusals).</summary>
internal sealed class RefusalSummaries(Vault vault) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(all: false);
            }
        }
        catch (OperationCanceledException)
        {
        }

        await FlushAsync(all: true);
    }

    private async Task FlushAsync(bool all)
    {
        try
        {
            await vault.Refusals.FlushAsync(all);
        }
        catch (Exception e) when (e is VaultException or IOException or Microsoft.Data.Sqlite.SqliteException)
        {
            Serilog.Log.Error(e, "Could not ledger the summaries of refused accesses (the first refusal of each window is in the ledger; the counts of the rest are lost)");
        }
    }
}
