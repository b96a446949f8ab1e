using MediatR;
using System.Security.Claims;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Access;

namespace EvidenceVault.Api;

/// <summary>
/// A clip's bytes (R8, 004 §32): only with a reason, and only after the viewer, the time and the
/// reason are a ledger entry under a signed checkpoint. The entry's index comes back in a header.
/// Only a clerk of the clip's unit or a supervisor above it (R8 004 §28), cleared for its labels (R10).
/// </summary>
internal static class ViewEndpoints
{
    public const string ViewEntryHeader = "X-EvidenceVault-View-Entry";

    public static void MapViewEndpoints(this WebApplication app)
    {
        app.MapGet("/clips/{sha256}/content", async (string sha256, string? reason, ClaimsPrincipal user, IMediator sender, Vault vault, HttpResponse response, CancellationToken cancellationToken) =>
        {
            var digest = DockEndpoints.Digest(sha256);
            if (vault.Clips.Holds(digest) && response.HttpContext.Access(vault).Refusal(digest, bytes: true) is { } why)
            {
                return await Scope.RefuseAsync(response.HttpContext, vault, "ViewClipContent", EvidenceVault.Custody.Ledger.Subjects.Clip(digest), why);
            }

            var index = await sender.Send(new ViewClip(digest, user.Principal(), reason ?? string.Empty), cancellationToken);
            response.Headers[ViewEntryHeader] = index.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var content = await vault.OpenOriginalAsync(digest, cancellationToken);
            return Results.Stream(content, "application/octet-stream", fileDownloadName: digest.ToHex());
        }).RequireAuthorization(Policies.Viewer).WithName("ViewClipContent");
    }
}
