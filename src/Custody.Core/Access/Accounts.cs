using System.Security.Cryptography;
using EvidenceVault.Custody.Cases;
using EvidenceVault.Custody.Commands;
using EvidenceVault.Custody.Ledger;
using FluentValidation;

namespace EvidenceVault.Custody.Access;

/// <summary>Who may call the API: a dock station (its own key) or a person (roles from <see cref="EntryTypes.RoleGranted"/>).</summary>
public static class AccountKinds
{
    public const string Station = "station";
    public const string Person = "person";
    public static readonly string[] All = [Station, Person];
}

/// <summary>The roles the API knows (R8: access by role); approver roles of a policy profile are roles too.</summary>
public static class Roles
{
    public const string Officer = "officer";
    public const string Clerk = "clerk";
    public const string Supervisor = "supervisor";
    public const string Auditor = "auditor";
}

/// <summary>
/// Issue an API key to a station or a person. The key is shown once; the ledger keeps its SHA-256
/// (32 random bytes: the hash reveals nothing), so who could act as whom is itself on the record.
/// </summary>
public sealed record IssueAccount(string Id, string Kind, string By, string Reason) : IRequest<IssuedAccount>;

public sealed record IssuedAccount(long LedgerIndex, string Key);

/// <summary>Withdraw every key of an account at once.</summary>
public sealed record RevokeAccount(string Id, string By, string Reason) : IRequest<long>;

/// <summary>An authenticated caller: id, kind, and roles held now.</summary>
public sealed record Account(string Id, string Kind, IReadOnlySet<string> Roles)
{
    /// <summary>The subject and actor name of the caller in the ledger.</summary>
    public string Principal => (Kind == AccountKinds.Station ? "station:" : "user:") + Id;
}

public sealed record AccountIssuedPayload(string Account, string Kind, string KeySha256);

public sealed record AccountRevokedPayload(string Account);

public sealed class IssueAccountValidator : AbstractValidator<IssueAccount>
{
    public IssueAccountValidator()
    {
        RuleFor(c => c.Id).NotEmpty().MaximumLength(64).Must(id => id.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.'))
            .WithMessage("An account id is letters, digits, '-', '_' or '.'.");
        RuleFor(c => c.Kind).Must(AccountKinds.All.Contains).WithMessage($"Kind must be one of {string.Join(", ", AccountKinds.All)}.");
        RuleFor(c => c.Reason).NotEmpty().WithMessage("Issuing a key says why (--reason).");
        RuleFor(c => c.By).IsIdentity();
    }
}

public sealed class RevokeAccountValidator : AbstractValidator<RevokeAccount>
{
    public RevokeAccountValidator()
    {
        RuleFor(c => c.Reason).NotEmpty().WithMessage("Revoking a key says why (--reason).");
        RuleFor(c => c.By).IsIdentity();
    }
}

internal sealed class AccountHandlers(Vault vault) : IRequestHandler<IssueAccount, IssuedAccount>, IRequestHandler<RevokeAccount, long>
{
    public async Task<IssuedAccount> Handle(IssueAccount request, CancellationToken cancellationToken)
    {
        var key = "evk_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var subject = request.Kind == AccountKinds.Station ? "station:" + request.Id : Subjects.User(request.Id);
        var index = await vault.RecordActAsync(EntryTypes.AccountIssued, request.By, [subject], request.Reason,
            new AccountIssuedPayload(request.Id, request.Kind, AccountDirectory.Hash(key)), cancellationToken).ConfigureAwait(false);
        return new IssuedAccount(index, key);
    }

    public Task<long> Handle(RevokeAccount request, CancellationToken cancellationToken)
    {
        var issued = vault.Ledger.EntriesOfType(EntryTypes.AccountIssued).Select(e => PayloadJson.Deserialize<AccountIssuedPayload>(e.Payload)).LastOrDefault(a => a.Account == request.Id)
            ?? throw new VaultException($"No account '{request.Id}'.");
        var subject = issued.Kind == AccountKinds.Station ? "station:" + request.Id : Subjects.User(request.Id);
        return vault.RecordActAsync(EntryTypes.AccountRevoked, request.By, [subject], request.Reason, new AccountRevokedPayload(request.Id), cancellationToken);
    }
}

/// <summary>
/// Resolves API keys to accounts through the catalog's derived <c>api_key</c> and <c>role_grant</c>
/// tables (rebuilt from the ledger like every derived table), so a revocation or a new role takes
/// effect on the next request.
/// </summary>
public sealed class AccountDirectory(Vault vault)
{
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));

    public Account? Find(string key) => vault.Ledger.Query(statements =>
    {
        var lookup = statements("SELECT account, kind FROM api_key WHERE key_sha256 = $k AND revoked_idx IS NULL", ["$k"]);
        lookup.Parameters[0].Value = Hash(key);
        string id, kind;
        using (var reader = lookup.ExecuteReader())
        {
            if (!reader.Read())
            {
                return null;
            }

            (id, kind) = (reader.GetString(0), reader.GetString(1));
        }

        return new Account(id, kind, RolesOf(statements, id));
    });

    /// <summary>The roles a person holds now (RoleGranted), from the derived role_grant table.</summary>
    public static IReadOnlySet<string> RolesOf(Vault vault, string user) => vault.Ledger.Query(statements => RolesOf(statements, user));

    private static HashSet<string> RolesOf(Catalog.CatalogProjection.Statements statements, string user)
    {
        var grants = statements("SELECT role FROM role_grant WHERE account = $a", ["$a"]);
        grants.Parameters[0].Value = user;
        var roles = new HashSet<string>(StringComparer.Ordinal);
        using var reader = grants.ExecuteReader();
        while (reader.Read())
        {
            roles.Add(reader.GetString(0));
        }

        return roles;
    }
}
