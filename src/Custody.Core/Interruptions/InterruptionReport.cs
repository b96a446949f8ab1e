using EvidenceVault.Custody.Ledger;

namespace EvidenceVault.Custody.Interruptions;

/// <summary>One interruption with the state of its explanations (R3).</summary>
/// <param name="Spoken">detected, not-detected or not-analysed (the resumed clip's opening seconds).</param>
/// <param name="Written">present (signed by enough distinct officers) or absent.</param>
/// <param name="SpokenReview">The clerk's review of the spoken explanation (heard or not, by whom), once done.</param>
public sealed record InterruptionRow(Gap Gap, string Spoken, string Written, string? CaseNumber, SpeechAnalysedPayload? Speech, (bool Heard, string Reviewer)? SpokenReview)
{
    /// <summary>R3 satisfied: a spoken explanation a clerk confirmed, or a written one with enough signatures.</summary>
    public bool Explained => SpokenReview is { Heard: true } || Written == "present";
}

public static class InterruptionReport
{
    public static IReadOnlyList<InterruptionRow> Build(Vault vault, InterruptionPolicy policy) =>
        InterruptionAnalysis.Find(vault.Clips.Timings(), policy, vault.Clips.Actions())
            .Select(gap => Describe(vault, policy, gap))
            .ToList();

    private static InterruptionRow Describe(Vault vault, InterruptionPolicy policy, Gap gap)
    {
        var speechJson = vault.Clips.FactsOf("clip_speech", gap.Resumed);
        var speech = speechJson is null ? null : System.Text.Json.JsonSerializer.Deserialize<SpeechAnalysedPayload>(speechJson, PayloadJson.Options);
        var spoken = speech switch
        {
            null => "not-analysed",
            { Verdict: "detected" } => "detected",
            _ => "not-detected",
        };

        // R3 (001 §20): a written explanation counts once signed by the required number of distinct officers.
        var written = vault.Clips.WrittenExplanations(gap.Resumed)
            .Any(w => w.SignedBy.Distinct(StringComparer.Ordinal).Count() >= policy.WrittenSignatures) ? "present" : "absent";
        var caseNumber = gap.CaseNumber ?? vault.Clips.CasesOf(gap.Resumed).FirstOrDefault();
        return new InterruptionRow(gap, spoken, written, caseNumber, speech, vault.Clips.SpeechReview(gap.Resumed));
    }
}
