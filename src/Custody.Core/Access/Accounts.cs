using MediatR;
using System.Security.Cryptography;
using EvidenceVault.Custody.Cases;
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
/// Resolves API keys to accounts (R8). The derived <c>api_key</c> and <c>role_grant</c> rows only say
/// which ledger entries to look at: a key or a role counts only when the AccountIssued or RoleGranted
/// entry the row names is proven to be in the signed tree (<see cref="Verification.ProvenEntries"/>)
/// and says the same, and a key is withdrawn by any AccountRevoked entry after it, whatever the row
/// says (issue 18 §1–2). A row no proven entry backs is ignored and logged.
/// </summary>
public sealed class AccountDirectory(Vault vault)
{
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));

    public Account? Find(string key)
    {
        var hash = Hash(key);
        var row = vault.Ledger.Query(statements =>
        {
            var lookup = statements("SELECT account, kind, idx FROM api_key WHERE key_sha256 = $k AND revoked_idx IS NULL", ["$k"]);
            lookup.Parameters[0].Value = hash;
            using var reader = lookup.ExecuteReader();
            return reader.Read() ? (Id: reader.GetString(0), Kind: reader.GetString(1), Index: reader.GetInt64(2)) : ((string Id, string Kind, long Index)?)null;
        });
        if (row is not { } found)
        {
            return null;
        }

        var issued = Proven(vault, found.Index, EntryTypes.AccountIssued, $"api_key row of account {found.Id}");
        if (issued is null || PayloadJson.Deserialize<AccountIssuedPayload>(issued.Payload) is not { } payload
            || payload.Account != found.Id || payload.Kind != found.Kind || payload.KeySha256 != hash)
        {
            if (issued is not null)
            {
                Serilog.Log.Warning("Ignoring the api_key row of account {Account}: ledger entry {Index} issued another key", found.Id, found.Index);
            }

            return null;
        }

        // A revocation counts from its entry, not from the derived row's revoked_idx (which an administrator could clear).
        var revoked = vault.Ledger.EntriesOfType(EntryTypes.AccountRevoked)
            .Any(e => e.Index > found.Index && PayloadJson.Deserialize<AccountRevokedPayload>(e.Payload).Account == found.Id);
        return revoked ? null : new Account(found.Id, found.Kind, RolesOf(vault, found.Id));
    }

    /// <summary>The roles a person holds now: RoleGranted entries, proven, that the role_grant rows point to.</summary>
    public static IReadOnlySet<string> RolesOf(Vault vault, string user)
    {
        var rows = vault.Ledger.Query(statements =>
        {
            var grants = statements("SELECT role, idx FROM role_grant WHERE account = $a", ["$a"]);
            grants.Parameters[0].Value = user;
            var found = new List<(string Role, long Index)>();
            using var reader = grants.ExecuteReader();
            while (reader.Read())
            {
                found.Add((reader.GetString(0), reader.GetInt64(1)));
            }

            return found;
        });
        var roles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (role, index) in rows)
        {
            var entry = Proven(vault, index, EntryTypes.RoleGranted, $"role_grant row ({user}, {role})");
            if (entry is not null && PayloadJson.Deserialize<RoleGrantedPayload>(entry.Payload) is { } granted && granted.User == user && granted.Role == role)
            {
                roles.Add(role);
            }
            else if (entry is not null)
            {
                Serilog.Log.Warning("Ignoring the role_grant row ({User}, {Role}): ledger entry {Index} grants something else", user, role, index);
            }
        }

        return roles;
    }

    private static LedgerEntry? Proven(Vault vault, long index, string type, string row)
    {
        var entry = vault.Proven.Entry(index, out var problem);
        if (entry is null || entry.Type != type)
        {
            Serilog.Log.Warning("Ignoring the {Row}: {Problem}", row, problem ?? $"ledger entry {index} is {entry!.Type}, not {type}");
            return null;
        }

        return entry;
    }
}
