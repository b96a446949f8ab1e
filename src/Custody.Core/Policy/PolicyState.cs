using EvidenceVault.Custody.Ledger;
using NodaTime;
using NodaTime.Text;

namespace EvidenceVault.Custody.Policy;

/// <summary>What the derived tables say about policy: the active profile and the facts deadlines are counted from.</summary>
public sealed class PolicyState
{
    private readonly SqliteLedger _ledger;

    internal PolicyState(SqliteLedger ledger) => _ledger = ledger;

    /// <summary>The profile chosen last (PolicySelected), or null before one is chosen.</summary>
    public string? ActiveProfileId() => _ledger.Query(statements =>
        statements("SELECT profile_id FROM policy_selection ORDER BY idx DESC LIMIT 1", []).ExecuteScalar() as string);

    public PolicyProfile ActiveProfile() => ActiveProfileId() is { } id
        ? PolicyProfile.Load(id)
        : throw new VaultException("No policy profile is selected for this vault: choose one with custody policy set --profile ID --by USER --reason TEXT.");

    /// <summary>R3/R4 as the active profile sets them (signatures, tolerances), or the defaults before one is chosen.</summary>
    public Interruptions.InterruptionPolicy InterruptionPolicy() =>
        ActiveProfileId() is null ? Interruptions.InterruptionPolicy.Default : ActiveProfile().InterruptionPolicy;

    public IReadOnlyList<(string Officer, Instant From, Instant Return)> Declarations() => Rows(
        "SELECT officer_id, from_utc, return_utc FROM declaration ORDER BY idx",
        r => (r.GetString(0), Parse(r.GetString(1)), Parse(r.GetString(2))));

    public IReadOnlyList<(string CaseNumber, Instant? Ended, Instant? Archived)> CaseStatuses() => Rows(
        "SELECT case_number, ended_utc, archived_utc FROM case_status ORDER BY case_number",
        r => (r.GetString(0), r.IsDBNull(1) ? (Instant?)null : Parse(r.GetString(1)), r.IsDBNull(2) ? (Instant?)null : Parse(r.GetString(2))));

    /// <summary>Actions started in an emergency, with their approval time if approved.</summary>
    public IReadOnlyList<(long Index, ActionRecordedPayload Action, Instant? Approved)> EmergencyActions() => Rows(
        "SELECT a.idx, a.facts, p.approved_utc FROM case_action a LEFT JOIN action_approval p ON p.action_idx = a.idx ORDER BY a.idx",
        r => (r.GetInt64(0), System.Text.Json.JsonSerializer.Deserialize<ActionRecordedPayload>(r.GetString(1), PayloadJson.Options)!, r.IsDBNull(2) ? (Instant?)null : Parse(r.GetString(2))))
        .Where(a => a.Item2.Emergency).ToList();

    public IReadOnlyList<(long Index, string Officer, Instant Filed, bool Reviewed)> WorkRecords() => Rows(
        "SELECT idx, officer_id, filed_utc, reviewed_idx FROM work_record ORDER BY idx",
        r => (r.GetInt64(0), r.GetString(1), Parse(r.GetString(2)), !r.IsDBNull(3)));

    public IReadOnlyList<RetentionFactPayload> RetentionFacts() => Rows(
        "SELECT facts FROM retention_fact ORDER BY idx",
        r => System.Text.Json.JsonSerializer.Deserialize<RetentionFactPayload>(r.GetString(0), PayloadJson.Options)!);

    /// <summary>Case links: clip SHA-256 (hex) to its cases.</summary>
    public ILookup<string, string> Links() => Rows("SELECT sha256, case_number FROM clip_link", r => (r.GetString(0), r.GetString(1)))
        .ToLookup(x => x.Item1, x => x.Item2, StringComparer.Ordinal);

    internal IReadOnlyList<T> Rows<T>(string sql, Func<Microsoft.Data.Sqlite.SqliteDataReader, T> read) => _ledger.Query(statements =>
    {
        var rows = new List<T>();
        using var reader = statements(sql, []).ExecuteReader();
        while (reader.Read())
        {
            rows.Add(read(reader));
        }

        return rows;
    });

    internal static Instant Parse(string text) => InstantPattern.ExtendedIso.Parse(text).Value;
}
