using EvidenceVault.Custody.Cases;
using EvidenceVault.Custody.Ledger;
using FluentValidation;
using MediatR;

namespace EvidenceVault.Custody.Access;

// R8 (004 §28): access is authorised by level; a superior may view a subordinate unit's records. The
// agency is the root of a tree of units; a person belongs to one unit (none: the agency itself), and a
// clip belongs to the unit its officer belonged to when it was docked.

/// <summary>Add a unit to the tree, under <paramref name="Parent"/> (none: directly under the agency).</summary>
public sealed record CreateUnit(string Id, string Name, string? Parent, string By, string Reason) : IRequest<long>;

/// <summary>Place a person in a unit; a later assignment moves them (what they may see moves with them).</summary>
public sealed record AssignMember(string User, string Unit, string By, string Reason) : IRequest<long>;

public sealed record UnitCreatedPayload(string Unit, string Name, string? Parent);

public sealed record MemberAssignedPayload(string User, string Unit);

public sealed record UnitRecord(string Id, string Name, string? Parent, long Entry);

public sealed class CreateUnitValidator : AbstractValidator<CreateUnit>
{
    public CreateUnitValidator()
    {
        RuleFor(c => c.Id).NotEmpty().MaximumLength(64).Must(UnitTree.IsId).WithMessage("A unit id is letters, digits, '-', '_' or '.' (up to 64).");
        RuleFor(c => c.Name).NotEmpty().MaximumLength(128).WithMessage("A unit has a name (--name), up to 128 characters.");
        RuleFor(c => c.Reason).NotEmpty().WithMessage("Adding a unit says why (--reason).");
        RuleFor(c => c.By).IsIdentity();
    }
}

public sealed class AssignMemberValidator : AbstractValidator<AssignMember>
{
    public AssignMemberValidator()
    {
        RuleFor(c => c.User).NotEmpty().MaximumLength(64).Must(u => !u.Contains(':', StringComparison.Ordinal)).WithMessage("--user is a person's id, without a prefix.");
        RuleFor(c => c.Unit).NotEmpty();
        RuleFor(c => c.Reason).NotEmpty().WithMessage("Placing a person in a unit says why (--reason).");
        RuleFor(c => c.By).IsIdentity();
    }
}

internal sealed class UnitHandlers(Vault vault) : IRequestHandler<CreateUnit, long>, IRequestHandler<AssignMember, long>
{
    public Task<long> Handle(CreateUnit request, CancellationToken cancellationToken)
    {
        var tree = UnitTree.Load(vault);
        if (tree.Units.ContainsKey(request.Id))
        {
            throw new VaultException($"Unit {request.Id} exists already.");
        }

        if (request.Parent is { } parent && !tree.Units.ContainsKey(parent))
        {
            throw new VaultException($"No unit {parent} to put {request.Id} under (custody unit create first).");
        }

        List<string> subjects = [Subjects.Unit(request.Id)];
        if (request.Parent is { } above)
        {
            subjects.Add(Subjects.Unit(above));
        }

        return vault.RecordActAsync(EntryTypes.UnitCreated, request.By, subjects, request.Reason, new UnitCreatedPayload(request.Id, request.Name, request.Parent), cancellationToken);
    }

    public Task<long> Handle(AssignMember request, CancellationToken cancellationToken)
    {
        var tree = UnitTree.Load(vault);
        if (!tree.Units.ContainsKey(request.Unit))
        {
            throw new VaultException($"No unit {request.Unit} (custody unit create first).");
        }

        if (tree.UnitOf(request.User) == request.Unit)
        {
            throw new VaultException($"{request.User} is in {request.Unit} already.");
        }

        return vault.RecordActAsync(EntryTypes.MemberAssigned, request.By, [Subjects.User(request.User), Subjects.Unit(request.Unit)], request.Reason,
            new MemberAssignedPayload(request.User, request.Unit), cancellationToken);
    }
}

/// <summary>
/// The tree of units and who belongs where, replayed from the UnitCreated and MemberAssigned entries
/// (no derived table to trust). A null unit is the agency itself: the root, above every unit.
/// </summary>
public sealed class UnitTree
{
    private readonly Dictionary<string, UnitRecord> _units;
    private readonly Dictionary<string, string> _members;

    private UnitTree(Dictionary<string, UnitRecord> units, Dictionary<string, string> members) => (_units, _members) = (units, members);

    public IReadOnlyDictionary<string, UnitRecord> Units => _units;

    /// <summary>Who belongs to which unit now.</summary>
    public IReadOnlyDictionary<string, string> Members => _members;

    public static bool IsId(string id) => id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    public static UnitTree Load(Vault vault)
    {
        var units = new Dictionary<string, UnitRecord>(StringComparer.Ordinal);
        var members = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = vault.Ledger.EntriesOfType(EntryTypes.UnitCreated).Concat(vault.Ledger.EntriesOfType(EntryTypes.MemberAssigned)).OrderBy(e => e.Index);
        foreach (var entry in entries)
        {
            if (entry.Type == EntryTypes.UnitCreated)
            {
                var unit = PayloadJson.Deserialize<UnitCreatedPayload>(entry.Payload);
                // Replayed as the handler decided: first creation wins, a parent must come before its child (no cycles).
                if (!units.ContainsKey(unit.Unit) && (unit.Parent is null || units.ContainsKey(unit.Parent)))
                {
                    units[unit.Unit] = new UnitRecord(unit.Unit, unit.Name, unit.Parent, entry.Index);
                }
            }
            else
            {
                var member = PayloadJson.Deserialize<MemberAssignedPayload>(entry.Payload);
                if (units.ContainsKey(member.Unit))
                {
                    members[member.User] = member.Unit;
                }
            }
        }

        return new UnitTree(units, members);
    }

    /// <summary>The person's unit now; null: the agency (placed in no unit).</summary>
    public string? UnitOf(string? user) => user is not null && _members.TryGetValue(user, out var unit) ? unit : null;

    /// <summary>Whether <paramref name="unit"/> is <paramref name="ancestor"/> or below it; everything is within the agency (null).</summary>
    public bool Within(string? unit, string? ancestor)
    {
        if (ancestor is null)
        {
            return true;
        }

        for (var at = unit; at is not null; at = _units.TryGetValue(at, out var record) ? record.Parent : null)
        {
            if (at == ancestor)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A unit as people read it, "name (id)"; "the agency" for the root.</summary>
    public string Describe(string? unit) => unit is null ? "the agency" : _units.TryGetValue(unit, out var record) ? $"{record.Name} ({unit})" : unit;
}
