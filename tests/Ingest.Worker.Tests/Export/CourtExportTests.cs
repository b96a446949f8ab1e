using System.Text.Json;
using EvidenceVault.Custody.Verifier;

namespace EvidenceVault.Worker.Tests.Export;

/// <summary>
/// R9: the certified export a court can check itself. One real export (<see cref="ExportedCase"/>)
/// verified by `custody verify-export` with nothing but the package, and damaged in every way a
/// court must notice.
/// </summary>
public sealed class CourtExportTests(ExportedCase exported) : IClassFixture<ExportedCase>
{
    [Fact]
    public void Package_VerifiesOffline_AsDirectoryZipAndDisc()
    {
        var directory = Tools.Dotnet("custody", ["verify-export", exported.Package, "--key", exported.VerifierKey, "--tsa-cert-sha256", exported.TsaCertificateSha256]);
        directory.ExitCode.Should().Be(0, directory.Output + directory.Error);
        directory.Output.Should().Contain("RESULT: the package holds").And.Contain("RFC 3161 time-stamp").And.Contain("consistent with the earlier checkpoint");

        var zip = Tools.Dotnet("custody", ["verify-export", exported.Package + ".zip", "--json", "--key", exported.VerifierKey]);
        zip.ExitCode.Should().Be(0, zip.Output);
        var report = JsonDocument.Parse(zip.Output).RootElement;
        report.GetProperty("ok").GetBoolean().Should().BeTrue();
        report.GetProperty("result").GetString().Should().Be("verified");
        report.GetProperty("clips").GetInt32().Should().Be(2);
        report.GetProperty("checks").EnumerateArray().Should().OnlyContain(c => c.GetProperty("ok").GetBoolean());

        // The disc image carries the same package: extracted with xorriso, it verifies.
        var extracted = Path.Combine(exported.Scratch("iso"), "disc");
        var osirrox = Tools.Run("xorriso", ["-osirrox", "on", "-indev", exported.Package + ".iso", "-extract", "/", extracted]);
        osirrox.ExitCode.Should().Be(0, osirrox.Error);
        Tools.Dotnet("custody", ["verify-export", extracted, "--key", exported.VerifierKey]).ExitCode.Should().Be(0);
    }

    [Fact]
    public void Package_WithoutAPinnedKey_IsOnlySelfConsistentAndExitsThree()
    {
        // A package re-signed end to end with another key passes every check of its own: only the
        // agency's key, obtained separately, tells them apart. Exit 0 is kept for "pinned and held".
        var fingerprint = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(exported.Package, "manifest.json"))).RootElement.GetProperty("keyFingerprint").GetString()!;

        var text = Tools.Dotnet("custody", ["verify-export", exported.Package]);
        var json = Tools.Dotnet("custody", ["verify-export", exported.Package + ".zip", "--json"]);

        text.ExitCode.Should().Be(3, text.Output);
        text.Output.Should().Contain("only self-consistent").And.Contain(fingerprint).And.NotContain("RESULT: the package holds");
        json.ExitCode.Should().Be(3);
        var report = JsonDocument.Parse(json.Output).RootElement;
        report.GetProperty("keyPinned").GetBoolean().Should().BeFalse();
        report.GetProperty("result").GetString().Should().Be("self-consistent-only");
        report.GetProperty("checks").EnumerateArray().Should().OnlyContain(c => c.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public void Package_HoldsTheOriginalsByteForByte_AndEveryFactTheCourtAsksFor()
    {
        var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(exported.Package, "manifest.json"))).RootElement;
        var clips = manifest.GetProperty("clips").EnumerateArray().ToList();
        clips.Select(c => c.GetProperty("sha256").GetString()).Should().Equal(exported.Clips.Select(Scenario.Sha));
        foreach (var clip in clips)
        {
            var sha = clip.GetProperty("sha256").GetString()!;
            var camera = exported.Clips.Single(c => Scenario.Sha(c) == sha);
            // Byte-identical to what the camera held (the emulator's volume is still there).
            var onCamera = Directory.EnumerateFiles(Path.Combine(exported.Scenario.Work), Path.GetFileName(camera.GetProperty("fileName").GetString()!), SearchOption.AllDirectories).Single();
            File.ReadAllBytes(Path.Combine(exported.Package, "originals", sha)).Should().Equal(File.ReadAllBytes(onCamera));
            clip.GetProperty("cameraFileNames")[0].GetString().Should().Be(camera.GetProperty("fileName").GetString());
            clip.GetProperty("deviceSerial").GetString().Should().Be("A1B2C3D");
            clip.GetProperty("officerId").GetString().Should().Be("123456");
            clip.GetProperty("durationSeconds").GetDouble().Should().BeApproximately(3, 0.2);
            clip.GetProperty("recordedStartLocal").GetString().Should().EndWith("+08:00");
            clip.GetProperty("probe").GetProperty("videoCodec").GetString().Should().Be("h264");
        }

        clips[0].GetProperty("recordedStartLocal").GetString().Should().Be(RunDates.Local("08:30:00"));
        clips[0].GetProperty("recordedStartUtc").GetString().Should().Be(RunDates.Utc("08:30:00"));
        var gap = clips[1].GetProperty("interruptions").EnumerateArray().Should().ContainSingle().Subject;
        gap.GetProperty("seconds").GetDouble().Should().BeApproximately(300, 1);
        gap.GetProperty("explained").GetBoolean().Should().BeTrue();
        var written = gap.GetProperty("writtenExplanation");
        written.GetProperty("signedBy").EnumerateArray().Select(s => s.GetString()).Should().Equal("123456", "234567");
        var documentSha = written.GetProperty("documentSha256").GetString()!;
        File.ReadAllBytes(Path.Combine(exported.Package, "documents", documentSha)).Should().Equal(File.ReadAllBytes(exported.Document));
        manifest.GetProperty("case").GetProperty("cause").GetString().Should().Be("占道经营");
        manifest.GetProperty("case").GetProperty("actions")[0].GetProperty("place").GetString().Should().Be("某街道菜市场东口");
        manifest.GetProperty("requestedBy").GetString().Should().Be("clerk01");
        manifest.GetProperty("approvedBy").GetString().Should().Be("boss");

        // The request, the approval and the export are ledger entries; the export names the manifest's hash.
        var export = exported.Scenario.Entries("EvidenceExported").Should().ContainSingle().Subject;
        export.GetProperty("index").GetInt64().Should().Be(exported.Result.GetProperty("ledgerEntry").GetInt64());
        export.GetProperty("payload").GetProperty("files")[0].GetProperty("sha256").GetString().Should()
            .Be(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(exported.Package, "manifest.json")))));
        exported.Scenario.Entries("ExportApproved").Single().GetProperty("actor").GetString().Should().Be("user:boss");
    }

    [Fact]
    public void ExplanationSheet_TextIsExtractableFromThePdf_WithEveryFieldTheRulesAskFor()
    {
        var text = Tools.Run("pdftotext", [Path.Combine(exported.Package, "sheet", "explanation.pdf"), "-"]);
        text.ExitCode.Should().Be(0, text.Error);
        var html = File.ReadAllText(Path.Combine(exported.Package, "sheet", "explanation.html"));
        var fingerprint = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(exported.Package, "manifest.json"))).RootElement.GetProperty("keyFingerprint").GetString()!;
        // The PDF wraps long lines; a reader (and pdftotext) joins them.
        foreach (var sheet in new[] { text.Output.Replace("\n", string.Empty, StringComparison.Ordinal), html })
        {
            // Art. 12 (制作方法、制作时间、制作人、证明对象) and 法发〔2016〕22号 Art. 14 (案由、对象、内容、时间、地点、方法、清单、校验值).
            sheet.Should().Contain("制作方法").And.Contain("制作时间").And.Contain("制作人").And.Contain("证明对象").And.Contain("案由：占道经营")
                .And.Contain("地点 某街道菜市场东口").And.Contain("电子数据清单").And.Contain("完整性校验值").And.Contain("日").And.Contain(ExportedCase.CaseNumber)
                .And.Contain(fingerprint).And.Contain("custody verify-export");
            foreach (var clip in exported.Clips)
            {
                sheet.Should().Contain(Scenario.Sha(clip));
            }
        }

        text.Output.Should().NotContain("⽇", "plain glyph drawing maps 日 to the Kangxi radical and a court's search would miss it");
    }

    [Fact]
    public void AnyFlippedByte_InAnyFileOfThePackage_IsRejected()
    {
        var package = exported.CopyPackage();
        var files = Directory.EnumerateFiles(package, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        files.Select(f => Path.GetRelativePath(package, f).Replace('\\', '/')).Should().Contain(
            [PackageLayout.Timestamp, PackageLayout.TimestampedCheckpoint, PackageLayout.TimestampConsistency, PackageLayout.Consistency, PackageLayout.SinceCheckpoint, PackageLayout.SheetPdf]);
        ExportVerifier.Verify(package).Ok.Should().BeTrue();
        var random = new Random(9162);
        var tried = 0;
        foreach (var file in files)
        {
            var original = File.ReadAllBytes(file);
            var offsets = new[] { 0, original.Length - 1, original.Length / 2 }.Concat(Enumerable.Range(0, 12).Select(_ => random.Next(original.Length))).Distinct();
            foreach (var offset in offsets)
            {
                var damaged = (byte[])original.Clone();
                damaged[offset] ^= (byte)(1 << random.Next(8));
                File.WriteAllBytes(file, damaged);
                ExportVerifier.Verify(package).Ok.Should().BeFalse("a flipped bit at {0} of {1} must be noticed", offset, Path.GetRelativePath(package, file));
                tried++;
            }

            File.WriteAllBytes(file, original);
        }

        ExportVerifier.Verify(package).Ok.Should().BeTrue();
        tried.Should().BeGreaterThan(100);
    }

    [Fact]
    public void AnyFlippedByte_InTheZip_HeadersIncluded_IsRejected()
    {
        var zip = Path.Combine(exported.Scratch("zip"), "package.zip");
        File.Copy(exported.Package + ".zip", zip);
        ExportVerifier.Verify(zip).Ok.Should().BeTrue();
        var original = File.ReadAllBytes(zip);
        // The last 4 KiB (central directory and end records) byte by byte, the rest at 300 random places.
        var random = new Random(3161);
        var offsets = Enumerable.Range(Math.Max(0, original.Length - 4096), Math.Min(4096, original.Length)).Where(i => i % 3 == 0)
            .Concat(Enumerable.Range(0, 300).Select(_ => random.Next(original.Length)));
        foreach (var offset in offsets)
        {
            var damaged = (byte[])original.Clone();
            damaged[offset] ^= 0x20;
            File.WriteAllBytes(zip, damaged);
            ExportVerifier.Verify(zip).Ok.Should().BeFalse("a flipped byte at {0} of the ZIP must be noticed", offset);
        }
    }

    [Fact]
    public void Zip_IsTheCanonicalZipOfTheDirectory_AndOpensWithOrdinaryTools()
    {
        using var rebuilt = new MemoryStream();
        StoredZip.Write(rebuilt, Custody.Export.CourtExport.ZipItems(exported.Package));
        rebuilt.ToArray().Should().Equal(File.ReadAllBytes(exported.Package + ".zip"));
        var listing = Tools.Run("python3", ["-c", "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print('\\n'.join(z.namelist()))", exported.Package + ".zip"]);
        listing.ExitCode.Should().Be(0, listing.Error);
        listing.Output.Should().Contain("manifest.json").And.Contain("custody/entries.txt");
    }

    [Fact]
    public void RemovedEntry_IsRejected_ByCompleteness()
    {
        var package = exported.CopyPackage();
        var entriesFile = Path.Combine(package, "custody", "entries.txt");
        var lines = File.ReadAllLines(entriesFile);
        // Drop the probe entry of a clip: its proof is valid on its own, only the chain notices.
        var probe = lines.Single(l => l.Contains(Convert.ToHexStringLower("ClipProbed"u8), StringComparison.Ordinal) && l.Contains(Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes("clip:" + Scenario.Sha(exported.Clips[0]))), StringComparison.Ordinal));
        File.WriteAllLines(entriesFile, lines.Where(l => l != probe));
        var report = ExportVerifier.Verify(package);
        report.Ok.Should().BeFalse();
        report.Checks.Last().En.Should().Be("completeness");
        report.Checks.Last().Detail.Should().Contain("left out");
    }

    [Fact]
    public void ApproverRole_IsProvenByTheGrantInThePackage_AndAPackageWithoutTheGrantIsRejected()
    {
        // Issue 18 §7: the court checks the R8 approver role itself, from the entry that granted it.
        var genuine = ExportVerifier.Verify(exported.Package, new VerifyOptions(exported.VerifierKey));
        var package = exported.CopyPackage();
        var entriesFile = Path.Combine(package, "custody", "entries.txt");
        var lines = File.ReadAllLines(entriesFile);
        var grant = lines.Single(l => l.Contains(Convert.ToHexStringLower("RoleGranted"u8), StringComparison.Ordinal) && l.Contains(Convert.ToHexStringLower("user:boss"u8), StringComparison.Ordinal));
        File.WriteAllLines(entriesFile, lines.Where(l => l != grant));

        var withoutGrant = ExportVerifier.Verify(package, new VerifyOptions(exported.VerifierKey));

        genuine.Ok.Should().BeTrue(genuine.ToText());
        genuine.Checks.Should().Contain(c => c.En == "the approver held the approving role when approving (R8)" && c.Detail.Contains("boss was granted 'agency-head' by entry #", StringComparison.Ordinal));
        withoutGrant.Ok.Should().BeFalse();
        withoutGrant.Checks.Last().En.Should().Be("completeness");
        withoutGrant.Checks.Last().Detail.Should().Contain("about user:boss is left out");
    }

    [Fact]
    public void ProofForTheWrongIndex_IsRejected()
    {
        var package = exported.CopyPackage();
        var entriesFile = Path.Combine(package, "custody", "entries.txt");
        var lines = File.ReadAllLines(entriesFile).Select(l => l.Split(' ')).ToList();
        // Entry 2's own path, attached to entry 3, and entry 3 claimed at index 2's position.
        var swapped = lines.Select((fields, i) => i == 3 ? string.Join(' ', [fields[0], fields[1], .. lines[2][2..]]) : string.Join(' ', fields)).ToList();
        File.WriteAllLines(entriesFile, swapped);
        var report = ExportVerifier.Verify(package);
        report.Ok.Should().BeFalse();
        report.Checks.Last().En.Should().Be("inclusion proofs");
    }

    [Fact]
    public void CheckpointSignedByAnotherKey_IsRejected_EvenWithThatKeyInThePackage()
    {
        var package = exported.CopyPackage();
        var checkpointFile = Path.Combine(package, "custody", "checkpoint.txt");
        var note = File.ReadAllText(checkpointFile);
        var body = note[..(note.IndexOf("\n\n", StringComparison.Ordinal) + 1)];
        var origin = body.Split('\n')[0];
        var forger = new Custody.Checkpoints.NoteSigningKey(origin, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        File.WriteAllText(checkpointFile, Custody.Checkpoints.SignedNote.Sign(body, forger));
        ExportVerifier.Verify(package).Checks.Last().En.Should().Be("checkpoint signature");

        // The forger also swaps in its own key: entry 0 of the ledger still names the agency's key,
        // and a court that pinned the agency's key refuses it at once.
        File.WriteAllText(Path.Combine(package, "custody", "verifier-key.txt"), forger.Verifier + "\n");
        var unpinned = ExportVerifier.Verify(package);
        unpinned.Ok.Should().BeFalse();
        unpinned.Checks.Last().En.Should().Be("ledger entry 0 names this key");
        ExportVerifier.Verify(package, new VerifyOptions(exported.VerifierKey)).Checks.Last().En.Should().Be("verifier key matches the pinned key");
    }

    [Fact]
    public void SwappedOriginal_IsRejected()
    {
        var package = exported.CopyPackage();
        var a = Path.Combine(package, "originals", Scenario.Sha(exported.Clips[0]));
        var b = Path.Combine(package, "originals", Scenario.Sha(exported.Clips[1]));
        var bytesA = File.ReadAllBytes(a);
        File.WriteAllBytes(a, File.ReadAllBytes(b));
        File.WriteAllBytes(b, bytesA);
        var report = ExportVerifier.Verify(package);
        report.Ok.Should().BeFalse();
        report.Checks.Last().En.Should().Be("original's integrity value");
    }

    [Fact]
    public void AddedFile_IsRejected()
    {
        var package = exported.CopyPackage();
        File.WriteAllText(Path.Combine(package, "originals", "note.txt"), "added later");
        ExportVerifier.Verify(package).Checks.Last().En.Should().Be("no unaccounted files");
    }

    [Fact]
    public void RemovedTimestamp_IsRejected_BecauseTheLedgerNamesIt()
    {
        var package = exported.CopyPackage();
        File.Delete(Path.Combine(package, "custody", "timestamp.tst"));
        ExportVerifier.Verify(package).Ok.Should().BeFalse();
    }

    [Fact]
    public void TimestampFromAnotherAuthority_IsRejectedWhenTheCourtPinsItsTsa()
    {
        var report = ExportVerifier.Verify(exported.Package, new VerifyOptions(exported.VerifierKey, new string('a', 64)));
        report.Ok.Should().BeFalse();
        report.Checks.Last().En.Should().Be("RFC 3161 time-stamp");
    }

    [Fact]
    public void Directory_OriginalsReplacedByALinkToACopyElsewhere_IsRejectedNamingTheLink()
    {
        // Byte-identical originals elsewhere on the court's machine: the package must hold them itself.
        var package = exported.CopyPackage();
        var elsewhere = Path.Combine(exported.Scratch("elsewhere"), "originals");
        Directory.Move(Path.Combine(package, "originals"), elsewhere);
        Directory.CreateSymbolicLink(Path.Combine(package, "originals"), elsewhere);

        var result = Tools.Dotnet("custody", ["verify-export", package, "--key", exported.VerifierKey]);

        result.ExitCode.Should().Be(1, result.Output);
        result.Output.Should().Contain("originals is a symbolic link");
    }

    [Fact]
    public void Directory_FifoInPlaceOfTheReadme_IsRejectedWithoutBlocking()
    {
        var package = exported.CopyPackage();
        File.Delete(Path.Combine(package, "README.txt"));
        Tools.Run("mkfifo", [Path.Combine(package, "README.txt")]).ExitCode.Should().Be(0);

        // Tools.Run gives up (and the test fails) if the verifier blocks on the FIFO.
        var result = Tools.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "custody.dll"), "verify-export", package, "--key", exported.VerifierKey], timeout: TimeSpan.FromSeconds(60));

        result.ExitCode.Should().Be(1, result.Output);
        result.Output.Should().Contain("README.txt is not a regular file");
    }

    [Fact]
    public void Zip_WithACompressedEntry_IsRefusedFromItsHeaderBeforeInflating()
    {
        // A deflate bomb: 1 GiB of zeros in about a megabyte, next to the package's own files.
        var zip = Path.Combine(exported.Scratch("bomb"), "package.zip");
        File.Copy(exported.Package + ".zip", zip);
        using (var archive = System.IO.Compression.ZipFile.Open(zip, System.IO.Compression.ZipArchiveMode.Update))
        {
            using var bomb = archive.CreateEntry("originals/bomb", System.IO.Compression.CompressionLevel.SmallestSize).Open();
            var zeros = new byte[1 << 20];
            for (var i = 0; i < 1024; i++)
            {
                bomb.Write(zeros);
            }
        }

        var report = ExportVerifier.Verify(zip, new VerifyOptions(exported.VerifierKey));

        report.Ok.Should().BeFalse();
        report.Checks.Should().ContainSingle().Which.Detail.Should().Contain("originals/bomb is compressed").And.Contain("nothing was inflated");
    }
}
