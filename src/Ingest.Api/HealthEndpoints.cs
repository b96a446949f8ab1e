using EvidenceVault.Custody.Storage;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Checkpoints;

namespace EvidenceVault.Api;

/// <summary>Health of the database and the object store, and the newest signed checkpoint (public: it is published anyway).</summary>
internal static class HealthEndpoints
{
    public static void MapHealthEndpoints(this WebApplication app)
    {
        app.MapGet("/health", async (Vault vault, CancellationToken cancellationToken) =>
        {
            object database, objects;
            var healthy = true;
            try
            {
                database = new { ok = true, ledgerSize = vault.Ledger.Size };
            }
            catch (Exception e) when (e is VaultException or Microsoft.Data.Sqlite.SqliteException)
            {
                database = new { ok = false, error = e.Message };
                healthy = false;
            }

            try
            {
                objects = new { ok = true, publishedCheckpoints = (await vault.Objects.ListCheckpointsAsync(cancellationToken)).Count };
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or VaultException)
            {
                objects = new { ok = false, error = e.Message };
                healthy = false;
            }

            // A ledger this node cannot vouch for (a central row it cannot replicate, an entry the signer
            // refuses to cover) leaves it serving what it holds: "degraded", with what is wrong (docs/deploy.md §9).
            // One it cannot write to, or a key it cannot sign with, takes no custody: "failing" (issue 21),
            // asked now, not remembered from the last append.
            var problem = vault.LedgerProblem;
            var writeProblem = healthy ? vault.LedgerWriteProblem() : null;
            var signingProblem = vault.SigningProblem();
            healthy &= writeProblem is null && signingProblem is null;
            var ledger = new { ok = problem is null, problem, writable = writeProblem is null, writeProblem };
            var signing = new { ok = signingProblem is null, problem = signingProblem, keyFingerprint = vault.VerifierKey.Fingerprint };
            var status = !healthy ? "failing" : problem is null ? "ok" : "degraded";
            return Results.Json(new { status, database, objectStore = objects, ledger, signing }, statusCode: healthy ? 200 : 503);
        }).AllowAnonymous().WithName("Health");

        app.MapGet("/checkpoints/latest", (Vault vault) =>
        {
            if (vault.Ledger.LatestCheckpointNote() is not { } latest)
            {
                return Results.NotFound();
            }

            var checkpoint = Checkpoint.Open(latest.Note, vault.VerifierKey, out _);
            return Results.Ok(new { size = latest.Size, root = checkpoint?.Root.ToHex(), note = latest.Note, verifierKey = vault.Identity.VerifierKey });
        }).AllowAnonymous().WithName("LatestCheckpoint");
    }
}
