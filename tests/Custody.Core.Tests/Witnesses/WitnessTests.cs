using System.Net;
using System.Text;
using System.Text.Json;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Verification;
using EvidenceVault.Custody.Verifier;
using EvidenceVault.Custody.Witnesses;
using EvidenceVault.Tests;
using MediatR;
using Microsoft.Extensions.DependencyInjection;

namespace EvidenceVault.Custody.Tests.Witnesses;

/// <summary>
/// Issue 20: a witness outside the agency (a real custody-witness process on 127.0.0.1) catches what
/// whoever holds the vault folder and its key can do to it: roll it back, fork it, rewrite it.
/// </summary>
public sealed class WitnessTests : IDisposable
{
    private readonly string _work = Tools.TempDirectory("ev-witness");
    private readonly TestVault _vault = new();
    private readonly WitnessProcess _witness;

    public WitnessTests()
    {
        _witness = new WitnessProcess(Path.Combine(_work, "procuratorate"));
        _witness.Trust(_vault.Vault.VerifierKey.ToString());
        _witness.Start();
    }

    private CosignerKey Key => CosignerKey.Parse(_witness.Key);

    public void Dispose()
    {
        _witness.Dispose();
        _vault.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task Offer_NewCheckpoints_AreCosignedPublishedAndAgreeWithTheWitness()
    {
        await AddWitnessAsync();
        await _vault.IngestClipsAsync(4);

        var status = (await _vault.Vault.Witnesses.OfferAsync()).Should().ContainSingle().Subject;
        var verdict = await WitnessCheck.CheckAsync(_vault.Vault, Key, null);

        status.CosignedSize.Should().Be(_vault.Vault.Ledger.Size, "the witness cosigned the newest checkpoint");
        File.Exists(Path.Combine(_vault.Directory, "objects", "cosignatures", Key.Fingerprint[..16], _vault.Vault.Ledger.Size.ToString("D20", System.Globalization.CultureInfo.InvariantCulture)))
            .Should().BeTrue("the cosignature is published beside the checkpoints");
        verdict.Kind.Should().Be("consistent", verdict.Detail);
        verdict.WitnessedSize.Should().Be(_vault.Vault.Ledger.Size);
    }

    [Fact]
    public async Task Check_VaultPutBackFromAnOlderCopy_IsARollbackNamingTheLostEntries()
    {
        var (copy, kept, witnessed) = await BackUpThenGrowCosignedAsync(3, 3);

        _vault.RestoreFrom(copy);
        var local = await VerificationReportAsync();
        var verdict = await WitnessCheck.CheckAsync(_vault.Vault, Key, null);
        var cli = Tools.Dotnet("custody", ["verify", "--data", _vault.Directory, "--witness-key", _witness.Key]);

        local.Should().BeTrue("on its own the restored folder is a perfectly consistent, signed ledger");
        verdict.Kind.Should().Be("rollback");
        verdict.Detail.Should().Contain($"cosigned {witnessed} entries").And.Contain($"holds {kept}");
        cli.ExitCode.Should().Be(1, cli.Output);
        cli.Output.Should().StartWith("CUSTODY BROKEN: ROLLBACK");
    }

    [Fact]
    public async Task Check_RolledBackThenAppendedAnew_IsAForkTheWitnessRefusedAndKept()
    {
        var (copy, agreed, _) = await BackUpThenGrowCosignedAsync(3, 3);
        _vault.RestoreFrom(copy);
        // Other clips in place of the ones removed: a second signed history of the same length and more.
        await _vault.IngestClipsAsync(4, seed: 3);

        var offer = (await _vault.Vault.Witnesses.OfferAsync()).Single();
        var verdict = await WitnessCheck.CheckAsync(_vault.Vault, Key, null);
        var json = Tools.Dotnet("custody", ["verify", "--data", _vault.Directory, "--witness-key", _witness.Key, "--json"]);

        offer.CosignedSize.Should().Be(agreed, "the witness cosigns nothing of the forked history");
        offer.LastOffer.Should().StartWith("refused: 422");
        verdict.Kind.Should().Be("fork", verdict.Detail);
        verdict.Detail.Should().Contain($"at size {agreed}");
        json.ExitCode.Should().Be(1);
        var witness = JsonDocument.Parse(json.Output).RootElement.GetProperty("witnesses")[0];
        witness.GetProperty("verdict").GetString().Should().Be("fork");
        // The witness keeps the signed, conflicting checkpoint: the agency's own signature on its fork.
        // (The offer after the checkpoint and the one above each sent it: one record per refused request.)
        var refused = File.ReadAllLines(Path.Combine(_witness.Folder, "refused.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        refused.Should().NotBeEmpty().And.OnlyContain(r => r.GetProperty("status").GetInt32() == 422);
        refused[^1].GetProperty("request").GetString().Should().Contain(_vault.Vault.Ledger.LatestCheckpointNote()!.Value.Note);
    }

    [Fact]
    public async Task Check_HistoryRewrittenFromTheStartWithTheOriginalKey_IsARewrite()
    {
        await AddWitnessAsync();
        await _vault.IngestClipsAsync(3);
        await _vault.Vault.Witnesses.OfferAsync();
        var witnessed = _vault.Vault.Ledger.Size;
        // A new ledger under the same origin and signing key, its witness entry included, longer than the original.
        var seed = File.ReadAllText(_vault.KeyFile).Trim();
        var forged = Path.Combine(_work, "rewritten");
        using var rewritten = Vault.Create(forged, _vault.Clock, new VaultOptions { Station = "dock-01", Origin = _vault.Vault.Identity.Origin, SigningKeySeed = seed });
        using (var services = new ServiceCollection().AddCustody(rewritten).BuildServiceProvider())
        {
            var sender = services.GetRequiredService<IMediator>();
            await sender.Send(new AddWitness(_witness.Url.ToString(), _witness.Key, "oversight", "admin"));
            for (var i = 0; i < witnessed; i++)
            {
                await sender.Send(new Cases.RegisterCase($"F-{i}", "forged", [], "clerk01", string.Empty));
            }
        }

        var verdict = await WitnessCheck.CheckAsync(rewritten, Key, null);

        rewritten.VerifierKey.ToString().Should().Be(_vault.Vault.VerifierKey.ToString(), "the forger holds the original key");
        rewritten.Ledger.Size.Should().BeGreaterThan(witnessed);
        verdict.Kind.Should().Be("rewrite", verdict.Detail);
        (await rewritten.Witnesses.StatusAsync()).Single().CosignedSize.Should().BeNull("the witness cosigned none of the rewritten history");
    }

    [Fact]
    public async Task Witness_RestartedMidRun_KeepsItsStateAndStillRefusesTheRolledBackVault()
    {
        var (copy, _, witnessed) = await BackUpThenGrowCosignedAsync(2, 2);

        _witness.Stop();
        _witness.Start();
        _vault.RestoreFrom(copy);
        await _vault.IngestClipsAsync(1, seed: 4);
        var offer = (await _vault.Vault.Witnesses.OfferAsync()).Single();
        var verdict = await WitnessCheck.CheckAsync(_vault.Vault, Key, null);

        offer.LastOffer.Should().Contain($"the witness cosigned size {witnessed}", "after its restart it still knows the size it cosigned");
        verdict.Kind.Should().Be("rollback");
        verdict.WitnessedSize.Should().Be(witnessed);
    }

    [Fact]
    public async Task Ingest_WhileTheWitnessIsDown_LosesNothingAndIsCosignedOnceItIsBack()
    {
        await AddWitnessAsync();
        await _vault.IngestClipsAsync(2);
        await _vault.Vault.Witnesses.OfferAsync();
        var before = _vault.Vault.Ledger.Size;
        _witness.Stop();

        var clips = await _vault.IngestClipsAsync(3, seed: 2);
        var down = (await _vault.Vault.Witnesses.OfferAsync()).Single();
        _witness.Start();
        var back = (await _vault.Vault.Witnesses.OfferAsync()).Single();
        var verdict = await WitnessCheck.CheckAsync(_vault.Vault, Key, null);

        clips.Should().HaveCount(3).And.OnlyContain(c => _vault.Vault.Clips.Holds(c.Sha256), "ingest never waits for a witness");
        down.LastOffer.Should().StartWith("unreachable");
        down.CosignedSize.Should().Be(before);
        back.CosignedSize.Should().Be(_vault.Vault.Ledger.Size, "one offer brings the witness up to date");
        verdict.Kind.Should().Be("consistent");
    }

    [Fact]
    public async Task Cli_WitnessThatCannotBeAskedOrIsMistyped_FailsNamingWhy()
    {
        await AddWitnessAsync();
        await _vault.IngestClipsAsync(1);
        _witness.Stop();

        var down = Tools.Dotnet("custody", ["verify", "--data", _vault.Directory, "--witness-key", _witness.Key]);
        var notAKey = Tools.Dotnet("custody", ["witness", "add", "--data", _vault.Directory, "--url", _witness.Url.ToString(), "--key", _vault.Vault.VerifierKey.ToString(), "--reason", "r", "--by", "admin"]);
        var notAUrl = Tools.Dotnet("custody", ["witness", "add", "--data", _vault.Directory, "--url", "ftp://x", "--key", _witness.Key, "--reason", "r", "--by", "admin"]);
        var status = Tools.Dotnet("custody", ["witness", "status", "--data", _vault.Directory, "--json"]);

        // Unreachable is not "holds": a verifier that cannot ask the witness has not checked.
        down.ExitCode.Should().Be(1, down.Output);
        down.Output.Should().Contain("cannot ask the witness at " + _witness.Url);
        notAKey.ExitCode.Should().Be(1);
        notAKey.Error.Should().Contain("is not a cosigner key");
        notAUrl.ExitCode.Should().Be(1);
        notAUrl.Error.Should().Contain("is not an http(s) URL");
        var line = JsonDocument.Parse(status.Output).RootElement;
        line.GetProperty("witness").GetString().Should().Be(Key.Name);
        line.GetProperty("behind").GetInt64().Should().Be(line.GetProperty("checkpointSize").GetInt64() - line.GetProperty("cosignedSize").GetInt64());
    }

    [Fact]
    public async Task AddCheckpoint_RequestsTheSpecificationRefuses_GetItsStatusCodes()
    {
        await _vault.IngestClipsAsync(3);
        var (size, note) = _vault.Vault.Ledger.LatestCheckpointNote()!.Value;
        using var http = new HttpClient { BaseAddress = _witness.Url };
        async Task<HttpResponseMessage> Post(string body) => await http.PostAsync("add-checkpoint", new StringContent(body, Encoding.UTF8, "text/plain"));

        var first = await Post($"old 0\n\n{note}");
        var stale = await Post($"old 0\n\n{note}");
        var unknown = await Post($"old 0\n\nexample.com/other\n{size}\n{note.Split('\n')[2]}\n\n— example.com/other AAAA\n");
        var forged = await Post("old 0\n\n" + note.Replace(note.Split('\n')[2], Convert.ToBase64String(new byte[32])));
        var tooOld = await Post($"old {size + 1}\n\n{note}");
        await _vault.IngestClipsAsync(1, seed: 2);
        var newer = _vault.Vault.Ledger.LatestCheckpointNote()!.Value.Note;
        var badProof = await Post($"old {size}\n{Convert.ToBase64String(new byte[32])}\n\n{newer}");

        first.StatusCode.Should().Be(HttpStatusCode.OK);
        var line = (await first.Content.ReadAsStringAsync()).TrimEnd('\n');
        Key.Verify(note[..(note.IndexOf("\n\n", StringComparison.Ordinal) + 1)], [line], out _).Should().NotBeNull("the body is a cosignature by the witness key");
        stale.StatusCode.Should().Be(HttpStatusCode.Conflict);
        stale.Content.Headers.ContentType!.MediaType.Should().Be("text/x.tlog.size");
        (await stale.Content.ReadAsStringAsync()).Should().Be($"{size}\n");
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        forged.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        tooOld.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        badProof.StatusCode.Should().Be((HttpStatusCode)422);
    }

    /// <summary>Clips cosigned, a backup of the folder, more clips cosigned: the copy, its size and the witnessed size.</summary>
    private async Task<(string Copy, long Kept, long Witnessed)> BackUpThenGrowCosignedAsync(int before, int after)
    {
        await AddWitnessAsync();
        await _vault.IngestClipsAsync(before);
        await _vault.Vault.Witnesses.OfferAsync();
        var copy = Path.Combine(_work, "backup");
        _vault.CopyTo(copy);
        var kept = _vault.Vault.Ledger.Size;
        await _vault.IngestClipsAsync(after, seed: 2);
        await _vault.Vault.Witnesses.OfferAsync();
        return (copy, kept, _vault.Vault.Ledger.Size);
    }

    private async Task AddWitnessAsync()
    {
        using var services = new ServiceCollection().AddCustody(_vault.Vault).BuildServiceProvider();
        await services.GetRequiredService<IMediator>().Send(new AddWitness(_witness.Url.ToString(), _witness.Key, "the procuratorate oversees this office", "admin"));
    }

    private async Task<bool> VerificationReportAsync() =>
        (await VaultVerifier.VerifyAsync(_vault.Vault, rehashObjects: true)).Ok;
}
