using System.Security.Cryptography;
using EvidenceVault.Custody.Storage;

namespace EvidenceVault.Custody.Tests.Storage;

public sealed class FileSystemObjectStoreTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ev-store-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Put_NewBytes_StoresThemReadOnlyUnderTheirSha256()
    {
        var store = new FileSystemObjectStore(_root);
        var bytes = RandomNumberGenerator.GetBytes(3_000_000);

        var stored = await store.PutAsync(new MemoryStream(bytes));

        stored.Key.Should().Be(Sha256Digest.Of(bytes));
        stored.AlreadyStored.Should().BeFalse();
        var path = store.PathOf(stored.Key);
        (await File.ReadAllBytesAsync(path)).Should().Equal(bytes);
        File.GetUnixFileMode(path).Should().Be(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        Directory.EnumerateFiles(store.TemporaryDirectory).Should().BeEmpty();
    }

    [Fact]
    public async Task Put_ExistingKey_IsANoOpThatNeverRewritesTheObject()
    {
        var store = new FileSystemObjectStore(_root);
        var bytes = RandomNumberGenerator.GetBytes(1000);
        var first = await store.PutAsync(new MemoryStream(bytes));
        var written = File.GetLastWriteTimeUtc(store.PathOf(first.Key));
        await Task.Delay(20);

        var second = await store.PutAsync(new MemoryStream(bytes));

        second.Should().Be(first with { AlreadyStored = true });
        File.GetLastWriteTimeUtc(store.PathOf(first.Key)).Should().Be(written);
    }

    [Fact]
    public async Task Put_SourceFailsHalfWay_LeavesNoObjectAndNoTemporaryFile()
    {
        var store = new FileSystemObjectStore(_root);
        var act = () => store.PutAsync(new FailingStream(RandomNumberGenerator.GetBytes(4 << 20), failAfter: 2 << 20));

        await act.Should().ThrowAsync<IOException>();

        (await store.ListAsync().ToListAsync()).Should().BeEmpty();
        Directory.EnumerateFiles(store.TemporaryDirectory).Should().BeEmpty();
    }

    [Fact]
    public async Task PublishCheckpoint_DifferentNoteForAPublishedSize_IsRefused()
    {
        var store = new FileSystemObjectStore(_root);
        await store.PublishCheckpointAsync(5, "note a\n");
        await store.PublishCheckpointAsync(5, "note a\n");

        var act = () => store.PublishCheckpointAsync(5, "note b\n");

        await act.Should().ThrowAsync<InvalidOperationException>();
        (await store.ReadCheckpointAsync(5)).Should().Be("note a\n");
    }

    /// <summary>A camera unplugged mid-file: the read fails after some bytes.</summary>
    private sealed class FailingStream(byte[] data, int failAfter) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) =>
            Position >= failAfter ? throw new IOException("device unplugged") : base.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Position >= failAfter ? throw new IOException("device unplugged") : base.ReadAsync(buffer, cancellationToken);
    }
}
