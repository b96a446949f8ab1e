using System.Security.Claims;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Access;

namespace EvidenceVault.Api;

/// <summary>
/// Units and labels (R8 004 §28, R10) inside the endpoints: the role let the caller in, the clip's unit,
/// officer and labels decide what they see (<see cref="ClipAccess"/>). A refusal is a 403 problem and a
/// ledgered AccessRefused, like a refusal by role.
/// </summary>
internal static class Scope
{
    /// <summary>The caller as the vault knows them (from the claims the key resolved to).</summary>
    public static Account Account(this ClaimsPrincipal user) =>
        new(user.Id(), user.FindFirst(ApiKeyAuthentication.KindClaim)?.Value ?? AccountKinds.Person,
            user.FindAll(ClaimTypes.Role).Select(r => r.Value).ToHashSet(StringComparer.Ordinal));

    public static ClipAccess Access(this HttpContext context, Vault vault) => ClipAccess.For(vault, context.User.Account());

    public static async Task<IResult> RefuseAsync(HttpContext context, Vault vault, string action, string subject, string why)
    {
        var principal = context.User.Principal();
        try
        {
            await vault.Refusals.RecordAsync(principal, action, subject, why, context.RequestAborted);
        }
        catch (Exception e) when (e is VaultException or IOException or Microsoft.Data.Sqlite.SqliteException)
        {
            context.RequestServices.GetRequiredService<ILogger<Vault>>().LogError(e, "Could not ledger the refusal of {Principal} ({Action}): {Why}", principal, action, why);
        }

        return Results.Problem(char.ToUpperInvariant(why[0]) + why[1..] + ".", statusCode: StatusCodes.Status403Forbidden);
    }
}
