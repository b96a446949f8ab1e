using MediatR;
using EvidenceVault.Custody.Ingest;
using EvidenceVault.Custody.Ledger;
using Microsoft.Extensions.DependencyInjection;

namespace EvidenceVault.Custody.Tests.Ingest;

public sealed class IngestClipTests : IDisposable
{
    private readonly TestVault _vault = new();

    public void Dispose() => _vault.Dispose();

    private async Task<ClipIngestResult> SendAsync(byte[] bytes, ClipFacts facts)
    {
        using var services = new ServiceCollection().AddCustody(_vault.Vault).BuildServiceProvider();
        return await services.GetRequiredService<IMediator>().Send(new IngestClip(new MemoryStream(bytes), facts));
    }

    [Fact]
    public async Task Send_FileChangedSizeWhileRead_IsKeptAsReadAndFlagged()
    {
        // The camera listed 10 bytes; 14 arrived (it was still writing): custody holds what was read.
        var result = await SendAsync(new byte[14], new ClipFacts { FileName = "A1B2C3D_123456_20261123083000_0001.MP4", SizeOnCamera = 10 });

        result.Size.Should().Be(14);
        result.Flags.Should().Contain(ClipFlags.ChangedWhileRead);
        var entry = PayloadJson.Deserialize<ClipIngestedPayload>(_vault.Vault.Ledger.Read(result.LedgerIndex).Payload);
        entry.Clip.Flags.Should().Contain(ClipFlags.ChangedWhileRead);
        entry.Clip.SizeOnCamera.Should().Be(10);
    }

    [Fact]
    public async Task Send_EmptyFileNameOrUnknownTimeZone_IsRefusedNamingTheFieldAndNothingIsLedgered()
    {
        var before = _vault.Vault.Ledger.Size;

        var act = () => SendAsync([1], new ClipFacts { FileName = "", TimeZone = "Mars/Olympus" });

        var error = await act.Should().ThrowAsync<FluentValidation.ValidationException>();
        error.Which.Message.Should().Contain("File Name").And.Contain("Mars/Olympus");
        _vault.Vault.Ledger.Size.Should().Be(before);
    }
}
