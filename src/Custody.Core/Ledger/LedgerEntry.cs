using NodaTime;

namespace EvidenceVault.Custody.Ledger;

/// <summary>
/// One custody fact. Immutable once appended: its canonical bytes (<see cref="LedgerEntryCodec"/>)
/// are the Merkle leaf, so changing any field afterwards breaks every later checkpoint.
/// </summary>
/// <param name="Index">Position in the ledger, from 0, with no gaps.</param>
/// <param name="Time">When the vault recorded the fact (the vault's clock, not the camera's).</param>
/// <param name="Type">Past-tense event name, e.g. <c>ClipIngested</c> (see <see cref="EntryTypes"/>).</param>
/// <param name="Actor">Who did it: a device (<c>device:SERIAL</c>), officer (<c>officer:警号</c>), user or station.</param>
/// <param name="Subjects">What it is about, each with the previous entry about the same subject (the per-subject chain).</param>
/// <param name="Reason">Why: every access needs a reason (R8, 004 §32).</param>
/// <param name="Payload">UTF-8 JSON specific to the type.</param>
/// <param name="Salt">16–32 random bytes, so the sibling hashes in a proof reveal nothing guessable.</param>
public sealed record LedgerEntry(
    long Index,
    Instant Time,
    string Type,
    string Actor,
    IReadOnlyList<SubjectLink> Subjects,
    string Reason,
    byte[] Payload,
    byte[] Salt)
{
    public string PayloadText => System.Text.Encoding.UTF8.GetString(Payload);
}

/// <summary>
/// A subject of an entry and the link to the previous entry about the same subject, if any:
/// following the links from the newest entry visits every entry about that subject.
/// </summary>
public readonly record struct SubjectLink(string Subject, long? PreviousIndex, Sha256Digest? PreviousLeafHash);
