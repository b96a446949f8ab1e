using System.Text;
using EvidenceVault.Custody.Cases;
using EvidenceVault.Custody.Ledger;

namespace EvidenceVault.Custody.Export;

/// <param name="To">The receiving body (e.g. 某某区人民检察院).</param>
/// <param name="Receiver">Who received it there, when known.</param>
public sealed record TransferOptions(string CaseNumber, string To, string? Receiver, string Reason, string Out, string By);

/// <param name="TransferEntry">The CaseTransferred entry.</param>
/// <param name="Record">The transfer record written beside the package, for both sides to sign.</param>
public sealed record TransferResult(ExportResult Package, long TransferEntry, string Record);

/// <summary>
/// R18 (000 §23): a case moved to another body is handed over with a transfer record. The package is
/// a certified export (its approved request: release outside the agency, R8 004 §33); the transfer is
/// a ledger entry naming the receiving body, the package's export entry and manifest hash; from then on
/// the case takes no new actions, links or exports here. The record beside the package lists what was
/// handed over, for signatures on paper.
/// </summary>
public static class CaseTransfer
{
    public static async Task<TransferResult> WriteAsync(Vault vault, TransferOptions options, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(options.To) || options.To.Length > 200)
        {
            throw new VaultException("A transfer names the receiving body (--to), up to 200 characters.");
        }

        if (string.IsNullOrWhiteSpace(options.Reason))
        {
            throw new VaultException("A transfer says why (--reason).");
        }

        if (!vault.Clips.CaseExists(options.CaseNumber))
        {
            throw new VaultException($"Case {options.CaseNumber} is not registered.");
        }

        CaseTransfers.RefuseIfTransferred(vault, options.CaseNumber);
        var package = await CourtExport.WriteAsync(vault, new ExportOptions(options.CaseNumber, [], options.Out, $"R18 (000 §23): transfer to {options.To}: {options.Reason}", options.By), cancellationToken).ConfigureAwait(false);
        var exported = vault.Ledger.Read(package.EntryIndex);
        var clips = PayloadJson.Deserialize<Verifier.EvidenceExportedPayload>(exported.Payload).Clips;
        var payload = new CaseTransferredPayload(options.CaseNumber, options.To, options.Receiver, options.Reason, package.EntryIndex, package.ManifestSha256, clips);
        var index = await vault.RecordActAsync(EntryTypes.CaseTransferred, options.By, [Subjects.Case(options.CaseNumber), .. clips.Select(c => "clip:" + c)],
            $"R18 (000 §23): transferred to {options.To}", payload, cancellationToken).ConfigureAwait(false);
        var entry = vault.Ledger.Read(index);

        var record = new StringBuilder()
            .AppendLine("移交清单 / Transfer record (R18, 000 §23)")
            .AppendLine($"案件 / case: {options.CaseNumber}")
            .AppendLine($"移交单位 / from: {vault.VerifierKey.Name}")
            .AppendLine($"接收单位 / to: {options.To}")
            .AppendLine($"接收人 / received by: {options.Receiver ?? "________________"}")
            .AppendLine($"移交人 / handed over by: {options.By}")
            .AppendLine($"时间 / at: {NodaTime.Text.InstantPattern.ExtendedIso.Format(entry.Time)}")
            .AppendLine($"事由 / reason: {options.Reason}")
            .AppendLine($"移交记录 / transfer entry: {index}; 导出记录 / export entry: {package.EntryIndex}; checkpoint {package.CheckpointSize}")
            .AppendLine($"证据包 / package: {Path.GetFileName(package.Zip)}, manifest SHA-256 {package.ManifestSha256}")
            .AppendLine($"录像 / recordings ({clips.Count}):");
        foreach (var clip in clips)
        {
            record.AppendLine($"  {clip}");
        }

        record.AppendLine().AppendLine("移交人签名 / signed (handing over): ________________    接收人签名 / signed (receiving): ________________");
        var path = Path.GetFullPath(options.Out) + ".transfer-record.txt";
        await File.WriteAllTextAsync(path, record.ToString(), cancellationToken).ConfigureAwait(false);
        return new TransferResult(package, index, path);
    }
}
