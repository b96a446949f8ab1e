using EvidenceVault.Custody.Ledger;

namespace EvidenceVault.Custody.Policy;

/// <summary>
/// R6: how long each original is kept, from its cases and the active profile. Long-term when a case
/// or the clip has a trigger (dispute, complaint, review or litigation; obstruction or assault of
/// officers; suspected crime; coercive measures; mass incident or emergency; life, health or major
/// property — 000 §20, 002 §17), a legal hold, or is used as evidence. Nothing is ever deleted by a
/// default: a clip with no case is kept until a person classifies it.
/// </summary>
public static class Retention
{
    public const string LongTerm = "long-term";
    public const string CaseFile = "same-as-case-file";
    public const string Unclassified = "kept-until-classified";

    /// <summary>
    /// How far a long-term original's object lock is asked for: 100 years, as "permanent" as a date
    /// can be (R6: permanent when used as evidence); a store caps it where it cannot hold the date
    /// (S3ObjectStore.LatestLock). A lock is only ever extended.
    /// </summary>
    public static readonly NodaTime.Duration LongTermLock = NodaTime.Duration.FromDays(36525);

    public static int Rank(string retentionClass) => retentionClass == LongTerm ? 2 : 1;

    /// <summary>Each clip (SHA-256 hex) with its retention class and why.</summary>
    public static Dictionary<string, (string Class, string Because)> Classify(Vault vault)
    {
        var profile = vault.Policy.ActiveProfileId() is { } id ? PolicyProfile.Load(id) : null;
        var facts = vault.Policy.RetentionFacts();
        var links = vault.Policy.Links();
        var bySubject = facts.ToLookup(f => f.Subject, StringComparer.Ordinal);
        var result = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (var clip in vault.Clips.All().Select(c => c.Sha256.ToHex()).Distinct())
        {
            var cases = links[clip].ToList();
            var reasons = bySubject["clip:" + clip].Concat(cases.SelectMany(c => bySubject["case:" + c])).ToList();
            if (reasons.FirstOrDefault() is { } reason)
            {
                result[clip] = (LongTerm, reason.Kind switch
                {
                    RetentionFactKinds.Trigger => $"R6 long-term trigger '{reason.Trigger}' on {reason.Subject} ({profile?.Retention.Cite ?? "000 §20, 002 §17"})",
                    RetentionFactKinds.LegalHold => $"legal hold on {reason.Subject}",
                    _ => $"used as evidence ({reason.Subject}){(profile?.Retention.PermanentWhenEvidence == true ? $": permanent ({profile.Retention.Cite})" : string.Empty)}",
                });
            }
            else if (cases.Count > 0)
            {
                var minimum = profile?.Retention.MinimumMonths is { } months ? $", at least {months} months" : string.Empty;
                result[clip] = (CaseFile, $"kept as long as case file {cases[0]}{minimum} ({profile?.Retention.Cite ?? "R6"})");
            }
            else
            {
                result[clip] = (Unclassified, "no case yet: never deleted by a default, kept until a person classifies it");
            }
        }

        return result;
    }
}
