using System.Text.Json;
using System.Text.Json.Serialization;
using EvidenceVault.Custody.Ledger;
using FluentValidation;
using MediatR;
using NodaTime.Text;

namespace EvidenceVault.Custody.Catalog;

/// <summary>
/// Every custody fact about a clip, one record per ClipIngested entry, as the clerk reads it: the
/// same shape from <c>custody clips --json</c> and <c>GET /clips</c>.
/// </summary>
/// <param name="DeviceSerial">Only the clips docked from this camera, when given.</param>
/// <param name="Search">R7 filters and paging (<see cref="ClipCatalog.Search"/>); none: every clip.</param>
/// <param name="Viewer">The person asking through the API: only the clips they may see (<see cref="Access.ClipAccess"/>); none: the custody host's own operator.</param>
public sealed record ListClips(string? DeviceSerial = null, ClipSearch? Search = null, Access.Account? Viewer = null) : IRequest<IReadOnlyList<ClipView>>;

public sealed class ListClipsValidator : AbstractValidator<ListClips>
{
    public ListClipsValidator()
    {
        RuleFor(c => c.Search!.Limit).InclusiveBetween(1, 1000).When(c => c.Search?.Limit is not null).OverridePropertyName("limit");
        RuleFor(c => c.Search!.After).GreaterThanOrEqualTo(0).When(c => c.Search?.After is not null).OverridePropertyName("after");
        RuleFor(c => c.Search).Must(s => s is null || s.From is null || s.To is null || s.From < s.To).WithMessage("--from must be before --to.").OverridePropertyName("from");
    }
}

/// <summary>A clip as every host shows it. Field names are a contract: scripts read them; a field without a value is left out.</summary>
/// <param name="LedgerIndex">The ClipIngested entry (<c>custody clips</c> has called it so from the start).</param>
/// <param name="Flags">The dock's flags, then what probing found: probe-failed, timestamp-discontinuity, truncated.</param>
/// <param name="Probe">Null until the worker has probed the original.</param>
/// <param name="Unit">The custody unit the vault gave the clip at ingest (R8): its officer's unit then; absent: the agency's own.</param>
public sealed record ClipView(
    long LedgerIndex,
    string Sha256,
    long Size,
    string FileName,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DeviceSerial,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? OfficerId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Station,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RecordedStart,
    bool Important,
    IReadOnlyList<string> Flags,
    string IngestedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ProbeView? Probe,
    IReadOnlyList<string> Cases,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Unit = null)
{
    /// <summary>The same entry under the name <c>GET /clips</c> has given it from the start.</summary>
    public long LedgerEntry => LedgerIndex;
}

/// <param name="Status"><c>probed</c>, or <c>failed</c> with <paramref name="Error"/> naming why.</param>
public sealed record ProbeView(
    string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? DurationSeconds,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Container,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? VideoCodec,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AudioCodec,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Width,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Height,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? FrameRate,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CreationTime,
    IReadOnlyList<TimestampJump> Discontinuities,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ClipTruncation? Truncated,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

internal sealed class ListClipsHandler(Vault vault) : IRequestHandler<ListClips, IReadOnlyList<ClipView>>
{
    public Task<IReadOnlyList<ClipView>> Handle(ListClips request, CancellationToken cancellationToken)
    {
        var search = request.Search ?? new ClipSearch();
        search = request.DeviceSerial is null ? search : search with { Device = request.DeviceSerial };
        if (search.Unit is { } unit)
        {
            // R7 by unit (001 §25): the unit and the units below it, from the tree's entries.
            var tree = Access.UnitTree.Load(vault);
            search = tree.Units.ContainsKey(unit)
                ? search with { UnitsWithin = [.. tree.Units.Keys.Where(u => tree.Within(u, unit)).Order(StringComparer.Ordinal)] }
                : throw new VaultException($"No unit {unit} (custody unit list).");
        }

        IReadOnlyList<ClipView> views = [.. (request.Viewer is { } viewer ? Visible(search, Access.ClipAccess.For(vault, viewer), viewer) : vault.Clips.Search(search)).Select(View)];
        return Task.FromResult(views);
    }

    /// <summary>
    /// The rows of a search the viewer may see (R8, R10). An officer's search is narrowed to their own
    /// recordings in SQL; other rows are checked one by one against their proven entries, and a page
    /// is filled from the pages after it, so a short page still means the end.
    /// </summary>
    private List<ClipRow> Visible(ClipSearch search, Access.ClipAccess access, Access.Account viewer)
    {
        if (access.OwnOnly)
        {
            if (search.Officer is { } asked && asked != viewer.Id)
            {
                return [];
            }

            search = search with { Officer = viewer.Id };
        }

        // A clerk's or supervisor's search reads only their units' rows (migration 10's index), so a page
        // is not filled by reading past everybody else's clips; each row is still checked below.
        if (access.UnitsInScope() is { } scope)
        {
            search = search with { UnitsWithin = search.UnitsWithin is { } asked ? [.. asked.Intersect(scope, StringComparer.Ordinal)] : scope };
        }

        if (search.Limit is not { } limit)
        {
            return [.. vault.Clips.Search(search).Where(r => access.Refusal(r) is null)];
        }

        var visible = new List<ClipRow>(limit);
        while (true)
        {
            var page = vault.Clips.Search(search);
            visible.AddRange(page.Where(r => access.Refusal(r) is null).Take(limit - visible.Count));
            if (visible.Count == limit || page.Count < limit)
            {
                return visible;
            }

            search = search with { After = page[^1].LedgerIndex };
        }
    }

    private ClipView View(ClipRow clip)
    {
        var probe = vault.Clips.FactsOf("clip_probe", clip.Sha256) is { } json ? JsonSerializer.Deserialize<ClipProbedPayload>(json, PayloadJson.Options) : null;
        var flags = clip.Flags.ToList();
        if (probe?.Error is not null)
        {
            flags.Add("probe-failed");
        }

        if (probe?.Discontinuities.Count > 0)
        {
            flags.Add("timestamp-discontinuity");
        }

        if (probe?.Truncated is not null)
        {
            flags.Add("truncated");
        }

        return new ClipView(
            clip.LedgerIndex, clip.Sha256.ToHex(), clip.Size, clip.FileName, clip.DeviceSerial, clip.OfficerId, clip.Station,
            clip.RecordedStart, clip.Important, flags, InstantPattern.ExtendedIso.Format(clip.IngestedAt),
            probe is null ? null : new ProbeView(
                probe.Error is null ? "probed" : "failed", probe.DurationSeconds, probe.Container, probe.VideoCodec, probe.AudioCodec,
                probe.Width, probe.Height, probe.FrameRate, probe.CreationTime, probe.Discontinuities, probe.Truncated, probe.Error),
            vault.Clips.CasesOf(clip.Sha256),
            clip.Unit);
    }
}
