using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EvidenceVault.Custody.Checkpoints;

namespace EvidenceVault.Custody.Ledger;

/// <summary>
/// R5 (002 §14, 004 §33) and R8: custody records cannot be added to, changed or removed behind the
/// vault's back. The authentication of entries by the node that appended them (issue 18 §5): one Ed25519 signature
/// per appended batch, with the vault's signing key (which lives in the key file beside the data folder or the node's
/// configuration, never in the database), over the batch's index range and its leaf hashes. A row
/// inserted into <c>ledger_entry</c> by anyone without the key has no seal that verifies, so the
/// checkpoint signer refuses to cover it and <c>custody verify</c> names it. The statement signed is
/// in docs/ledger-format.md §5a; its first line has spaces, which no checkpoint origin line may
/// have, so a seal can never be taken for a checkpoint signed by the same key.
/// </summary>
public sealed record EntrySeal(long First, long Last, string Node, byte[] Signature)
{
    /// <summary>The scheme's name in the VaultCreated entry of a vault whose every entry is sealed.</summary>
    public const string Scheme = "v1";

    /// <summary>The statement's first line: names the scheme and its version.</summary>
    public const string Header = "EvidenceVault entry seal v1";

    public long Count => Last - First + 1;

    /// <summary>Seals the consecutive entries from <paramref name="first"/> whose leaf hashes are <paramref name="leaves"/>.</summary>
    public static EntrySeal Create(NoteSigningKey key, string node, long first, IReadOnlyList<Sha256Digest> leaves)
    {
        var last = first + leaves.Count - 1;
        return new EntrySeal(first, last, node, key.Sign(Statement(key.Name, node, first, last, leaves)));
    }

    /// <summary>Whether the seal is the vault key's signature over these entries' leaf hashes.</summary>
    public bool Verifies(NoteVerifierKey key, IReadOnlyList<Sha256Digest> leaves) =>
        leaves.Count == Count && Signature.Length == 64 && key.Verify(Statement(key.Name, Node, First, Last, leaves), Signature);

    /// <summary>
    /// <c>EvidenceVault entry seal v1\n&lt;origin&gt;\n&lt;node&gt;\n&lt;first&gt;\n&lt;last&gt;\n&lt;base64 SHA-256(leaf hashes in order)&gt;\n</c>.
    /// </summary>
    public static byte[] Statement(string origin, string node, long first, long last, IReadOnlyList<Sha256Digest> leaves)
    {
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> leaf = stackalloc byte[Sha256Digest.Length];
        foreach (var hash in leaves)
        {
            hash.CopyTo(leaf);
            digest.AppendData(leaf);
        }

        var text = string.Create(CultureInfo.InvariantCulture, $"{Header}\n{origin}\n{node}\n{first}\n{last}\n{Convert.ToBase64String(digest.GetHashAndReset())}\n");
        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>
    /// Why not every entry of [<paramref name="from"/>, <paramref name="size"/>) is sealed by
    /// <paramref name="key"/>, or null: each must lie in exactly one seal row whose signature verifies
    /// over the leaf hashes <paramref name="leafAt"/> gives (computed from the entries' bytes where the
    /// caller has them). <paramref name="seals"/> are the rows ending at or after <paramref name="from"/>, by last index.
    /// </summary>
    public static string? FirstUnsealed(NoteVerifierKey key, long from, long size, IReadOnlyList<EntrySeal> seals, Func<long, Sha256Digest> leafAt) =>
        Unsealed(key, from, size, seals, leafAt, parallel: false, stopAtFirst: true).FirstOrDefault();

    /// <summary>Every reason as <see cref="FirstUnsealed"/> gives the first, in index order; signatures checked on all cores when <paramref name="parallel"/>.</summary>
    public static IReadOnlyList<string> Unsealed(NoteVerifierKey key, long from, long size, IReadOnlyList<EntrySeal> seals, Func<long, Sha256Digest> leafAt, bool parallel, bool stopAtFirst = false)
    {
        var problems = new List<(long At, string Problem)>();
        var toCheck = new List<(EntrySeal Seal, byte[] Statement, long At)>();
        var next = from;
        foreach (var seal in seals)
        {
            if (next >= size || (stopAtFirst && problems.Count > 0))
            {
                break;
            }

            if (seal.First < 0 || seal.Last < seal.First || seal.Last >= size)
            {
                problems.Add((next, $"the seal row ending at entry {seal.Last} is malformed (entries {seal.First}–{seal.Last} of {size})"));
                continue;
            }

            if (seal.First > next)
            {
                problems.Add((next, Gap(next, seal.First - 1)));
            }
            else if (seal.First < next && next != from)
            {
                problems.Add((next, $"the seal rows ending at entries {next - 1} and {seal.Last} overlap"));
                next = Math.Max(next, seal.Last + 1);
                continue;
            }

            var leaves = new Sha256Digest[seal.Count];
            for (var i = 0; i < leaves.Length; i++)
            {
                leaves[i] = leafAt(seal.First + i);
            }

            toCheck.Add((seal, Statement(key.Name, seal.Node, seal.First, seal.Last, leaves), Math.Max(seal.First, next)));
            next = seal.Last + 1;
        }

        if (next < size && !(stopAtFirst && problems.Count > 0))
        {
            problems.Add((next, Gap(next, size - 1)));
        }

        var fails = new bool[toCheck.Count];
        void Check(int i) => fails[i] = toCheck[i].Seal.Signature.Length != 64 || !key.Verify(toCheck[i].Statement, toCheck[i].Seal.Signature);
        if (parallel)
        {
            Parallel.For(0, toCheck.Count, Check);
        }
        else
        {
            for (var i = 0; i < toCheck.Count; i++)
            {
                Check(i);
            }
        }

        for (var i = 0; i < toCheck.Count; i++)
        {
            if (fails[i])
            {
                var (seal, _, at) = toCheck[i];
                problems.Add((at, $"ledger entry {at}: its seal (entries {seal.First}–{seal.Last}, node {Hosting.TerminalText.Printable(seal.Node)}) does not verify under the vault's key: the entries were not written by a node holding it"));
            }
        }

        return [.. problems.OrderBy(p => p.At).Select(p => p.Problem)];

        static string Gap(long first, long last) => first == last
            ? $"ledger entry {first} is not sealed by the vault's key (no seal row covers it): it was not written by a node holding the key"
            : $"ledger entries {first}–{last} are not sealed by the vault's key (no seal row covers them): they were not written by a node holding the key";
    }

    /// <summary>A node name as a seal may carry it: printable, no newline (it is one line of the statement).</summary>
    public static string NodeName(string station) =>
        station.Length is > 0 and <= 200 && !station.Any(char.IsControl) ? station : throw new VaultException($"'{Hosting.TerminalText.Printable(station)}' cannot name a node in an entry seal (1–200 characters, no control characters).");
}

/// <summary>What a node appends with: the key its seals are made with and the name they carry.</summary>
public sealed record EntrySealer(NoteSigningKey Key, string Node);
