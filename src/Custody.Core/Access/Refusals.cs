using EvidenceVault.Custody.Ledger;
using NodaTime;
using NodaTime.Text;

namespace EvidenceVault.Custody.Access;

/// <summary>Payload of <see cref="EntryTypes.AccessRefused"/>: <paramref name="Count"/> refusals of one caller's one action on one subject.</summary>
/// <param name="Principal">Who asked (<c>user:…</c>, <c>station:…</c>).</param>
/// <param name="Action">What was asked: the endpoint or command (ViewClipContent, ApproveExport…).</param>
/// <param name="Subject">What it was about (<c>clip:…</c>, <c>case:…</c>), or null.</param>
/// <param name="Why">Why it was refused.</param>
/// <param name="Count">How many such refusals this entry stands for, between <paramref name="FirstAt"/> and <paramref name="LastAt"/>.</param>
public sealed record AccessRefusedPayload(string Principal, string Action, string? Subject, string Why, int Count, string FirstAt, string LastAt);

/// <summary>
/// Refusals are facts (issue 21): a refused view, copy or approval by a known caller is ledgered
/// with who, what and why. A client cannot flood the ledger with them: the first refusal of a
/// (caller, action, subject) in a window is an entry at once, the rest of that window one summary
/// entry with their count, written when the window has passed. At most <see cref="MaxTracked"/>
/// windows are open; beyond, refusals of one caller are tallied under the action "(many)".
/// Anonymous callers (no valid key) are not ledgered: they have no identity to record.
/// </summary>
public sealed class Refusals(Vault vault, Duration window)
{
    public const int MaxTracked = 10_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<(string Principal, string Action, string? Subject), Tally> _open = [];

    /// <summary>Ledgers one refusal (or counts it into its window's summary) and any summaries now due.</summary>
    public async Task RecordAsync(string principal, string action, string? subject, string why, CancellationToken cancellationToken = default)
    {
        var now = vault.Clock.GetCurrentInstant();
        var due = new List<AccessRefusedPayload>();
        var immediate = false;
        lock (_gate)
        {
            TakeDue(now, due);
            var key = (principal, action, subject);
            if (!_open.ContainsKey(key) && _open.Count >= MaxTracked)
            {
                key = (principal, "(many)", null);
            }

            if (_open.TryGetValue(key, out var tally))
            {
                tally.Suppressed++;
                tally.FirstSuppressed ??= now;
                tally.LastSuppressed = now;
            }
            else
            {
                _open[key] = new Tally(now, why);
                immediate = true;
            }
        }

        if (immediate)
        {
            due.Add(new AccessRefusedPayload(principal, action, subject, why, 1, Format(now), Format(now)));
        }

        await WriteAsync(due, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the summaries of windows that have passed (a host calls this now and then, and before it stops with <paramref name="all"/>).</summary>
    public async Task FlushAsync(bool all = false, CancellationToken cancellationToken = default)
    {
        var due = new List<AccessRefusedPayload>();
        lock (_gate)
        {
            TakeDue(all ? Instant.MaxValue : vault.Clock.GetCurrentInstant(), due);
        }

        await WriteAsync(due, cancellationToken).ConfigureAwait(false);
    }

    private void TakeDue(Instant now, List<AccessRefusedPayload> due)
    {
        foreach (var (key, tally) in _open.Where(o => now >= o.Value.Opened + window || now == Instant.MaxValue).ToList())
        {
            _open.Remove(key);
            if (tally.Suppressed > 0)
            {
                due.Add(new AccessRefusedPayload(key.Principal, key.Action, key.Subject, tally.Why, tally.Suppressed, Format(tally.FirstSuppressed!.Value), Format(tally.LastSuppressed)));
            }
        }
    }

    private async Task WriteAsync(List<AccessRefusedPayload> refusals, CancellationToken cancellationToken)
    {
        if (refusals.Count == 0)
        {
            return;
        }

        await vault.RecordAsync([.. refusals.Select(r => new NewEntry(EntryTypes.AccessRefused, r.Principal,
            r.Subject is null ? [r.Principal] : [r.Principal, r.Subject],
            r.Count == 1 ? $"refused: {r.Why}" : $"refused {r.Count} times more in the window: {r.Why}",
            PayloadJson.Serialize(r)))], cancellationToken).ConfigureAwait(false);
    }

    private static string Format(Instant instant) => InstantPattern.ExtendedIso.Format(instant);

    private sealed class Tally(Instant opened, string why)
    {
        public Instant Opened { get; } = opened;

        public string Why { get; } = why;

        public int Suppressed { get; set; }

        public Instant? FirstSuppressed { get; set; }

        public Instant LastSuppressed { get; set; }
    }
}
