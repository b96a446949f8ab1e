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

/// <summary>
/// Withdraw every key of one account at once: the station or the person <paramref name="Id"/>, named
/// by <paramref name="Kind"/> when both exist. A person's roles go with it (a new key holds none).
/// </summary>
public sealed record RevokeAccount(string Id, string By, string Reason, string? Kind = null) : IRequest<long>;

/// <summary>Withdraw one role from a person (R8); ledgered with the reason. Only a role held now can be revoked.</summary>
public sealed record RevokeRole(string User, string Role, string By, string Reason) : IRequest<long>;

/// <summary>An authenticated caller: id, kind, and roles held now.</summary>
public sealed record Account(string Id, string Kind, IReadOnlySet<string> Roles)
{
    /// <summary>The subject and actor name of the caller in the ledger.</summary>
    public string Principal => (Kind == AccountKinds.Station ? "station:" : "user:") + Id;
}

public sealed record AccountIssuedPayload(string Account, string Kind, string KeySha256);

/// <param name="Kind">The kind revoked; absent in entries written before issue 21, which revoked every kind of that id.</param>
/// <param name="Keys">SHA-256 of each key this revocation withdrew (absent before issue 21).</param>
public sealed record AccountRevokedPayload(string Account, string? Kind = null, IReadOnlyList<string>? Keys = null)
{
    public bool Revokes(string kind) => Kind is null || Kind == kind;
}

public sealed record RoleRevokedPayload(string User, string Role);

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
        RuleFor(c => c.Kind).Must(k => k is null || AccountKinds.All.Contains(k)).WithMessage($"Kind must be one of {string.Join(", ", AccountKinds.All)}.");
        RuleFor(c => c.By).IsIdentity();
    }
}

public sealed class RevokeRoleValidator : AbstractValidator<RevokeRole>
{
    public RevokeRoleValidator()
    {
        RuleFor(c => c.User).NotEmpty().Must(u => !u.Contains(':', StringComparison.Ordinal)).WithMessage("--user is a person's id, without a prefix.");
        RuleFor(c => c.Role).NotEmpty();
        RuleFor(c => c.Reason).NotEmpty().WithMessage("Revoking a role says why (--reason).");
        RuleFor(c => c.By).IsIdentity();
    }
}

internal sealed class AccountHandlers(Vault vault) : IRequestHandler<IssueAccount, IssuedAccount>, IRequestHandler<RevokeAccount, long>, IRequestHandler<RevokeRole, long>
{
    public async Task<IssuedAccount> Handle(IssueAccount request, CancellationToken cancellationToken)
    {
        var key = "evk_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var index = await vault.RecordActAsync(EntryTypes.AccountIssued, request.By, [AccountDirectory.SubjectOf(request.Kind, request.Id)], request.Reason,
            new AccountIssuedPayload(request.Id, request.Kind, AccountDirectory.Hash(key)), cancellationToken).ConfigureAwait(false);
        return new IssuedAccount(index, key);
    }

    public Task<long> Handle(RevokeAccount request, CancellationToken cancellationToken)
    {
        // The accounts of that id, and the keys each holds now, from the entries (not the api_key rows).
        var issued = vault.Ledger.EntriesOfType(EntryTypes.AccountIssued).Select(e => (e.Index, Payload: PayloadJson.Deserialize<AccountIssuedPayload>(e.Payload)))
            .Where(a => a.Payload.Account == request.Id).ToList();
        var revocations = vault.Ledger.EntriesOfType(EntryTypes.AccountRevoked).Select(e => (e.Index, Payload: PayloadJson.Deserialize<AccountRevokedPayload>(e.Payload)))
            .Where(r => r.Payload.Account == request.Id).ToList();
        var kinds = issued.Select(a => a.Payload.Kind).Distinct().ToList();
        if (kinds.Count == 0)
        {
            throw new VaultException($"No account '{request.Id}'.");
        }

        if (request.Kind is null && kinds.Count > 1)
        {
            throw new VaultException($"'{request.Id}' is both a station and a person: say which to revoke (--kind station or --kind person).");
        }

        var kind = request.Kind ?? kinds[0];
        if (!kinds.Contains(kind))
        {
            throw new VaultException($"No {kind} account '{request.Id}'.");
        }

        var live = issued.Where(a => a.Payload.Kind == kind && !revocations.Any(r => r.Index > a.Index && r.Payload.Revokes(kind))).Select(a => a.Payload.KeySha256).ToList();
        return vault.RecordActAsync(EntryTypes.AccountRevoked, request.By, [AccountDirectory.SubjectOf(kind, request.Id)], request.Reason,
            new AccountRevokedPayload(request.Id, kind, live), cancellationToken);
    }

    public Task<long> Handle(RevokeRole request, CancellationToken cancellationToken)
    {
        if (!AccountDirectory.RolesOf(vault, request.User).Contains(request.Role))
        {
            throw new VaultException($"{request.User} does not hold the role '{request.Role}': nothing to revoke.");
        }

        return vault.RecordActAsync(EntryTypes.RoleRevoked, request.By, [Subjects.User(request.User)], request.Reason,
            new RoleRevokedPayload(request.User, request.Role), cancellationToken);
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
    /// <summary>The ledger subject of an account: <c>station:ID</c> or <c>user:ID</c>, so the two kinds never share a trail.</summary>
    public static string SubjectOf(string kind, string id) => kind == AccountKinds.Station ? "station:" + id : Subjects.User(id);

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

        // A revocation counts from its entry, not from the derived row's revoked_idx (which an administrator
        // could clear), and only for the kind it names: a station and a person of one id are two accounts.
        var revoked = vault.Ledger.EntriesOfType(EntryTypes.AccountRevoked)
            .Any(e => e.Index > found.Index && PayloadJson.Deserialize<AccountRevokedPayload>(e.Payload) is var r && r.Account == found.Id && r.Revokes(found.Kind));
        // Roles are a person's: a station's key carries none, whatever a person of the same id holds.
        return revoked ? null : new Account(found.Id, found.Kind, found.Kind == AccountKinds.Person ? RolesOf(vault, found.Id) : new HashSet<string>());
    }

    /// <summary>
    /// The roles a person holds now: RoleGranted entries, proven, that the role_grant rows point to,
    /// with no RoleRevoked of that role and no revocation of the person's account after them (the
    /// entries decide: a row rewritten to an older grant does not bring a withdrawn role back).
    /// </summary>
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
                if (!WithdrawnSince(vault, user, role, index))
                {
                    roles.Add(role);
                }
            }
            else if (entry is not null)
            {
                Serilog.Log.Warning("Ignoring the role_grant row ({User}, {Role}): ledger entry {Index} grants something else", user, role, index);
            }
        }

        return roles;
    }

    private static bool WithdrawnSince(Vault vault, string user, string role, long grantIndex) =>
        vault.Ledger.EntriesOfType(EntryTypes.RoleRevoked).Any(e => e.Index > grantIndex && PayloadJson.Deserialize<RoleRevokedPayload>(e.Payload) is var r && r.User == user && r.Role == role)
        || vault.Ledger.EntriesOfType(EntryTypes.AccountRevoked).Any(e => e.Index > grantIndex && PayloadJson.Deserialize<AccountRevokedPayload>(e.Payload) is var r && r.Account == user && r.Revokes(AccountKinds.Person));

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
