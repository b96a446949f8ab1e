using System.Diagnostics;
using System.Security.Cryptography;
using EvidenceVault.Worker.Probe;

namespace EvidenceVault.Worker.Tests.Probe;

/// <summary>ffprobe's report read as it streams: what arrives in any pieces reads as it does whole.</summary>
public sealed class ProbeOutputTests : IDisposable
{
    private readonly string _work = Tools.TempDirectory("ev-probe-output");

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task ReadAsync_ReportArrivingInPieces_GivesTheSameTracksReportAndDigest(int piece)
    {
        // A pipe hands over whatever is ready: a token split across two reads must not be lost or misread.
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam"), "jump:6");
        var clip = Directory.GetFiles(volume, "*.MP4", SearchOption.AllDirectories).Single();
        var bytes = Report(clip);

        var whole = await ProbeOutput.ReadAsync(new MemoryStream(bytes), CancellationToken.None);
        var pieces = await ProbeOutput.ReadAsync(new Trickle(bytes, piece), CancellationToken.None);

        whole.Digest.Should().Equal(SHA256.HashData(bytes), "the digest is of every byte ffprobe wrote");
        pieces.Digest.Should().Equal(whole.Digest);
        pieces.Report.Should().Be(whole.Report);
        whole.Report.Should().Contain("\"streams\"").And.Contain("\"format\"").And.NotContain("dts_time", "the packets are consumed, not kept");
        FFMpegCore.FFProbe.FromJson(pieces.Report).PrimaryVideoStream!.CodecName.Should().Be("h264");
        var video = pieces.Tracks[0];
        video.Jumps.Should().ContainSingle("the clip's video timestamps jump once").And.BeEquivalentTo(whole.Tracks[0].Jumps);
        video.End.Should().Be(whole.Tracks[0].End).And.BeGreaterThan(5);
        pieces.Tracks.Keys.Should().BeEquivalentTo(whole.Tracks.Keys).And.HaveCount(2, "video and audio");
    }

    private static byte[] Report(string clip)
    {
        var start = new ProcessStartInfo("ffprobe") { RedirectStandardOutput = true };
        foreach (var arg in (string[])[.. ClipProbe.ReportArguments, clip])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        using var output = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(output);
        process.WaitForExit();
        return output.ToArray();
    }

    /// <summary>A stream that never gives more than <paramref name="piece"/> bytes at a time.</summary>
    private sealed class Trickle(byte[] bytes, int piece) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, piece));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, piece)], cancellationToken);
    }
}
