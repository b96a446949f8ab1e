using System.Security.Claims;
using System.Text.Encodings.Web;
using EvidenceVault.Custody.Access;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace EvidenceVault.Api;

/// <summary>
/// Every caller presents its own key (<c>Authorization: Bearer evk_…</c>): each dock station has one,
/// each person has one; the vault knows them by SHA-256 from the ledger (custody account issue).
/// </summary>
internal sealed class ApiKeyAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AccountDirectory accounts, EvidenceVault.Custody.Vault vault)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string KindClaim = "evidencevault:kind";
    public const string PrincipalClaim = "evidencevault:principal";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var account = accounts.Find(header["Bearer ".Length..].Trim());
        if (account is null)
        {
            return Task.FromResult(AuthenticateResult.Fail(UnknownKey));
        }

        List<Claim> claims = [new(ClaimTypes.Name, account.Id), new(KindClaim, account.Kind), new(PrincipalClaim, account.Principal)];
        claims.AddRange(account.Roles.Select(r => new Claim(ClaimTypes.Role, r)));
        var identity = new ClaimsIdentity(claims, SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    private const string UnknownKey = "The key is unknown or revoked.";

    // RFC 6750 §3: a Bearer challenge, with invalid_token when a key was presented and refused; a problem document as the body.
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var presented = Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal);
        Response.Headers.WWWAuthenticate = presented
            ? "Bearer realm=\"evidencevault\", error=\"invalid_token\", error_description=\"unknown or revoked key\""
            : "Bearer realm=\"evidencevault\"";
        await Results.Problem(
            presented ? UnknownKey + " Ask the vault's administrator for a key (custody account issue)." : "This endpoint needs an API key: Authorization: Bearer evk_…",
            statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var held = Context.User.FindAll(ClaimTypes.Role).Select(r => r.Value).ToList();
        var principal = Context.User.FindFirst(PrincipalClaim)?.Value;
        var why = $"the key of {principal} is valid, but its account's kind and role ({(held.Count > 0 ? string.Join(", ", held) : "no role")}) do not allow {Request.Method} {Request.Path.Value}";
        if (principal is not null)
        {
            // A refused access by a known caller is a fact (issue 21), summarised when repeated.
            var action = Context.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? $"{Request.Method} {Request.Path.Value}";
            try
            {
                await vault.Refusals.RecordAsync(principal, action, SubjectOf(Context.Request.RouteValues), why, Context.RequestAborted);
            }
            catch (Exception e) when (e is EvidenceVault.Custody.VaultException or IOException or Microsoft.Data.Sqlite.SqliteException)
            {
                // The caller is refused all the same; what could not be ledgered is logged.
                Logger.LogError(e, "Could not ledger the refusal of {Principal} ({Action}): {Why}", principal, action, why);
            }
        }

        await Results.Problem(char.ToUpperInvariant(why[0]) + why[1..] + ".", statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(Context);
    }

    /// <summary>The ledger subject a request is about, from its route: a clip by its digest, a case by its number.</summary>
    private static string? SubjectOf(RouteValueDictionary route) =>
        route.TryGetValue("sha256", out var sha) && EvidenceVault.Custody.Sha256Digest.TryParseHex(sha?.ToString() ?? string.Empty, out var digest) ? EvidenceVault.Custody.Ledger.Subjects.Clip(digest)
        : route.TryGetValue("number", out var number) && number?.ToString() is { Length: > 0 and <= 128 } caseNumber ? EvidenceVault.Custody.Ledger.Subjects.Case(caseNumber)
        : null;
}

internal static class Policies
{
    /// <summary>A dock station's key.</summary>
    public const string Station = "station";

    /// <summary>Any person (not a station), whatever roles they hold: their own inbox.</summary>
    public const string Person = "person";

    /// <summary>Custody metadata: officers, clerks, supervisors, auditors.</summary>
    public const string Reader = "reader";

    /// <summary>A clip's bytes (R8): clerks and supervisors (an auditor only when also granted one of those), with a reason; the unit and labels then decide.</summary>
    public const string Viewer = "viewer";

    /// <summary>Written explanations: the dock (scanned at the station), officers, clerks, supervisors.</summary>
    public const string Explainer = "explainer";

    public static string Id(this ClaimsPrincipal user) => user.Identity?.Name ?? throw new InvalidOperationException("unauthenticated");

    public static string Principal(this ClaimsPrincipal user) => user.FindFirst(ApiKeyAuthentication.PrincipalClaim)?.Value ?? throw new InvalidOperationException("unauthenticated");
}
