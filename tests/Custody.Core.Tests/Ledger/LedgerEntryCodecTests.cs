using System.Text;
using EvidenceVault.Custody.Ledger;
using NodaTime;

namespace EvidenceVault.Custody.Tests.Ledger;

public sealed class LedgerEntryCodecTests
{
    private static LedgerEntry Sample() => new(
        42,
        Instant.FromUtc(2026, 2, 10, 1, 2, 3) + Duration.FromNanoseconds(456),
        EntryTypes.ClipIngested,
        "device:A1B2C3D",
        [new SubjectLink("clip:" + new string('a', 64), 7, Sha256Digest.Of("x"u8)), new SubjectLink("device:A1B2C3D", null, null)],
        "docked 执法记录仪",
        Encoding.UTF8.GetBytes("{\"fileName\":\"A1B2C3D_123456_20260210090000_0001.MP4\"}"),
        Enumerable.Range(0, 16).Select(i => (byte)i).ToArray());

    [Fact]
    public void Decode_OfEncode_GivesTheSameEntryToTheNanosecond()
    {
        var entry = Sample();
        var decoded = LedgerEntryCodec.Decode(LedgerEntryCodec.Encode(entry));
        decoded.Index.Should().Be(42);
        decoded.Time.Should().Be(entry.Time);
        decoded.Subjects.Should().Equal(entry.Subjects);
        decoded.Reason.Should().Be(entry.Reason);
        decoded.Payload.Should().Equal(entry.Payload);
        decoded.Salt.Should().Equal(entry.Salt);
        LedgerEntryCodec.Encode(decoded).Should().Equal(LedgerEntryCodec.Encode(entry));
    }

    [Fact]
    public void Encode_KnownEntry_StartsWithVersionIndexAndTimeBigEndian()
    {
        // docs/ledger-format.md promises this layout; a re-implementer relies on it.
        var bytes = LedgerEntryCodec.Encode(Sample());
        bytes[0].Should().Be(1);
        bytes[1..9].Should().Equal(0, 0, 0, 0, 0, 0, 0, 42);
        var nanoseconds = (Sample().Time - NodaConstants.UnixEpoch).ToInt64Nanoseconds();
        System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(9, 8)).Should().Be(nanoseconds);
        bytes[^17].Should().Be(16, "the salt length precedes the salt, which ends the entry");
    }

    [Fact]
    public void Decode_TrailingOrMissingBytes_IsRejected()
    {
        var bytes = LedgerEntryCodec.Encode(Sample());
        var longer = () => LedgerEntryCodec.Decode([.. bytes, 0]);
        longer.Should().Throw<FormatException>().WithMessage("*Trailing*");
        var shorter = () => LedgerEntryCodec.Decode(bytes[..^1]);
        shorter.Should().Throw<FormatException>();
    }

    [Fact]
    public void Encode_SaltShorterThan16Bytes_IsRefused()
    {
        var act = () => LedgerEntryCodec.Encode(Sample() with { Salt = new byte[8] });
        act.Should().Throw<ArgumentException>().WithMessage("*Salt*");
    }
}
