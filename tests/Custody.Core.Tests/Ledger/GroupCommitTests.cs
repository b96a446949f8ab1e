using EvidenceVault.Custody.Ledger;

namespace EvidenceVault.Custody.Tests.Ledger;

/// <summary>Appends arriving during another are committed together, on a real SQLite ledger.</summary>
public sealed class GroupCommitTests : IDisposable
{
    private readonly TestVault _vault = new();

    public void Dispose() => _vault.Dispose();

    private static NewEntry Fact(string caller, int n) =>
        new(EntryTypes.ClipViewed, "user:" + caller, ["clip:" + new string('a', 64)], $"{caller} #{n}", "{}"u8.ToArray());

    [Fact]
    public async Task CallersArrivingDuringAnAppend_AreCommittedInOneAppend_EachContiguousAndInOrder()
    {
        var batches = new List<int>();
        using var firstStarted = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var commit = new GroupCommit(facts =>
        {
            lock (batches)
            {
                batches.Add(facts.Count);
            }

            if (batches.Count == 1)
            {
                firstStarted.Set();
                release.Wait(TimeSpan.FromSeconds(30)); // the first append is slow (a cold connection)
            }

            return _vault.Vault.Ledger.Append(facts, _vault.Vault.Sealer);
        });
        var size = _vault.Vault.Ledger.Size;

        var first = Task.Run(() => commit.AppendAsync([Fact("first", 0)]));
        firstStarted.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue();
        var others = Enumerable.Range(0, 10).Select(c => commit.AppendAsync([Fact($"c{c}", 0), Fact($"c{c}", 1), Fact($"c{c}", 2)])).ToList();
        release.Set();
        await first;
        var answers = await Task.WhenAll(others);

        batches.Should().Equal(1, 30);
        _vault.Vault.Ledger.Size.Should().Be(size + 31);
        for (var c = 0; c < 10; c++)
        {
            answers[c].Select(e => e.Reason).Should().Equal($"c{c} #0", $"c{c} #1", $"c{c} #2");
            answers[c].Select(e => e.Index).Should().Equal(answers[c][0].Index, answers[c][0].Index + 1, answers[c][0].Index + 2);
            _vault.Vault.Ledger.Read(answers[c][1].Index).Reason.Should().Be($"c{c} #1");
        }
    }

    [Fact]
    public async Task ACallerWhoseFactsFail_FailsAlone_AndTheOthersAreCommitted()
    {
        using var firstStarted = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var calls = 0;
        var commit = new GroupCommit(facts =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                firstStarted.Set();
                release.Wait(TimeSpan.FromSeconds(30));
            }

            return facts.Any(f => f.Actor == "user:bad") ? throw new VaultException("refused") : _vault.Vault.Ledger.Append(facts, _vault.Vault.Sealer);
        });

        var first = Task.Run(() => commit.AppendAsync([Fact("first", 0)]));
        firstStarted.Wait(TimeSpan.FromSeconds(30)).Should().BeTrue();
        var good = commit.AppendAsync([Fact("good", 0)]);
        var bad = commit.AppendAsync([Fact("bad", 0)]);
        var alsoGood = commit.AppendAsync([Fact("also", 0)]);
        release.Set();
        await first;

        (await good).Should().ContainSingle().Which.Reason.Should().Be("good #0");
        (await alsoGood).Should().ContainSingle().Which.Reason.Should().Be("also #0");
        await bad.Invoking(t => t).Should().ThrowAsync<VaultException>().WithMessage("refused");
    }
}
