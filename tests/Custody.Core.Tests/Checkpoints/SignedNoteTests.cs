using EvidenceVault.Custody.Checkpoints;

namespace EvidenceVault.Custody.Tests.Checkpoints;

public sealed class SignedNoteTests
{
    // RFC 8032 §7.1 test 1 and the C2SP checkpoint of ../shared/vectors/merkle.md.
    private static readonly byte[] Seed = Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    private const string Origin = "example.com/custody-test";
    private const string VectorKey = "example.com/custody-test+3450d176+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";
    private const string VectorBody = "example.com/custody-test\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n";
    private const string VectorSignature = "\u2014 example.com/custody-test NFDRdj70JAsovSRuhBf+ict+u4E3Gv+NJUaq7sG+YvzRzH7iozJXwLVWdeNV5uY/F3BoCCJupls7VYqHYjbBkr1mswY=\n";

    [Fact]
    public void Sign_Rfc8032Test1_GivesTheKnownPublicKeyAndSignature()
    {
        var key = new NoteSigningKey(Origin, Seed);
        Convert.ToHexStringLower(key.Verifier.PublicKey).Should().Be("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        Convert.ToHexStringLower(key.Sign([])).Should().Be(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    }

    [Fact]
    public void VerifierKey_FromTheVectorSeed_IsTheKnownKeyString()
    {
        new NoteSigningKey(Origin, Seed).Verifier.ToString().Should().Be(VectorKey);
        NoteVerifierKey.Parse(VectorKey).KeyHash.Should().Be(0x3450d176);
    }

    [Fact]
    public void Sign_VectorCheckpoint_IsByteForByteTheKnownNote()
    {
        var note = Checkpoint.Create(new NoteSigningKey(Origin, Seed), 8,
            Sha256Digest.ParseHex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")).Note;
        note.Should().Be(VectorBody + "\n" + VectorSignature);
    }

    [Fact]
    public void Open_VectorCheckpoint_VerifiesWithThePublishedKeyString()
    {
        var checkpoint = Checkpoint.Open(VectorBody + "\n" + VectorSignature, NoteVerifierKey.Parse(VectorKey), out var problem);
        problem.Should().BeEmpty();
        checkpoint!.Size.Should().Be(8);
        checkpoint.Root.ToHex().Should().Be("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
    }

    [Fact]
    public void Open_ChangedSizeOrRoot_IsRejected()
    {
        var key = NoteVerifierKey.Parse(VectorKey);
        Checkpoint.Open(VectorBody.Replace("\n8\n", "\n9\n", StringComparison.Ordinal) + "\n" + VectorSignature, key, out var problem).Should().BeNull();
        problem.Should().Contain("does not verify");
        Checkpoint.Open(VectorBody.Replace("Xcna", "Ycna", StringComparison.Ordinal) + "\n" + VectorSignature, key, out _).Should().BeNull();
    }

    [Fact]
    public void Open_SignedByAnotherKeyOfTheSameName_IsRejected()
    {
        var impostor = new NoteSigningKey(Origin, Enumerable.Repeat((byte)7, 32).ToArray());
        var note = SignedNote.Sign(VectorBody, impostor);
        Checkpoint.Open(note, NoteVerifierKey.Parse(VectorKey), out var problem).Should().BeNull();
        problem.Should().Contain(Origin);
    }

    [Fact]
    public void Parse_KeyStringWithWrongHash_IsRejected()
    {
        var act = () => NoteVerifierKey.Parse(VectorKey.Replace("3450d176", "3450d177", StringComparison.Ordinal));
        act.Should().Throw<FormatException>().WithMessage("*hash*");
    }
}
