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
    /// <summary>Every gap with its explanation state; explanation facts are read once in bulk (a scan may cover a million clips).</summary>
    public static IReadOnlyList<InterruptionRow> Build(Vault vault, InterruptionPolicy policy) =>
        Explain(vault, policy, InterruptionAnalysis.Find(vault.Clips.Timings(), policy, vault.Clips.Actions()));

    /// <summary>The explanation state of gaps already found.</summary>
    public static IReadOnlyList<InterruptionRow> Explain(Vault vault, InterruptionPolicy policy, IReadOnlyList<Gap> gaps) => Explain(vault.Policy, policy, gaps);

    /// <summary>The explanation state of gaps already found, from the given (live or replayed) tables.</summary>
    internal static IReadOnlyList<InterruptionRow> Explain(Policy.PolicyState state, InterruptionPolicy policy, IReadOnlyList<Gap> gaps)
    {
        if (gaps.Count == 0)
        {
            return [];
        }

        var speech = state.Rows("SELECT sha256, facts FROM clip_speech", r => (r.GetString(0), r.GetString(1))).ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);
        var reviews = state.Rows("SELECT sha256, heard, reviewer FROM speech_review", r => (r.GetString(0), r.GetInt64(1) != 0, r.GetString(2))).ToDictionary(x => x.Item1, x => (x.Item2, x.Item3), StringComparer.Ordinal);
        var written = state.Rows("SELECT resumed_sha256, facts FROM written_explanation", r => (r.GetString(0), r.GetString(1))).ToLookup(x => x.Item1, x => x.Item2, StringComparer.Ordinal);
        var links = state.Links();
        return gaps.Select(gap =>
        {
            var resumed = gap.Resumed.ToHex();
            var facts = speech.TryGetValue(resumed, out var json) ? System.Text.Json.JsonSerializer.Deserialize<SpeechAnalysedPayload>(json, PayloadJson.Options) : null;
            var spoken = facts switch
            {
                null => "not-analysed",
                { Verdict: "detected" } => "detected",
                _ => "not-detected",
            };

            // R3 (001 §20): a written explanation counts once signed by the required number of distinct officers.
            var present = written[resumed].Select(w => System.Text.Json.JsonSerializer.Deserialize<WrittenExplanationPayload>(w, PayloadJson.Options)!)
                .Any(w => w.SignedBy.Distinct(StringComparer.Ordinal).Count() >= policy.WrittenSignatures);
            return new InterruptionRow(gap, spoken, present ? "present" : "absent", gap.CaseNumber ?? links[resumed].FirstOrDefault(), facts,
                reviews.TryGetValue(resumed, out var review) ? review : null);
        }).ToList();
    }
}
