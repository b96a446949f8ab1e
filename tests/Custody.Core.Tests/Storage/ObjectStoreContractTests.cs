using System.Security.Cryptography;
using EvidenceVault.Custody.Storage;
using Minio;
using Minio.DataModel.Args;
using NodaTime;

namespace EvidenceVault.Custody.Tests.Storage;

/// <summary>One contract, both object stores: the embedded default and the deployment must not drift apart.</summary>
public abstract class ObjectStoreContractTests
{
    protected abstract Task<IObjectStore> CreateAsync();

    /// <summary>Where the store writes its partial copies before they are objects.</summary>
    protected abstract string TemporaryDirectory { get; }

    [Fact]
    public async Task RemoveAbandonedTemporaryFiles_OfAProcessThatIsGone_RemovesThemAndLeavesTheLivingOnes()
    {
        // A dock killed mid-copy leaves its partial file; the next dock clears it (the camera still has the clip).
        var store = await CreateAsync();
        var gone = Path.Combine(TemporaryDirectory, "2147483646-abandoned.part");
        var mine = Path.Combine(TemporaryDirectory, $"{Environment.ProcessId}-in-progress.part");
        await File.WriteAllBytesAsync(gone, [1, 2, 3]);
        await File.WriteAllBytesAsync(mine, [4]);

        var removed = store.RemoveAbandonedTemporaryFiles();

        removed.Should().Be(1);
        File.Exists(gone).Should().BeFalse();
        File.Exists(mine).Should().BeTrue("this process is still copying it");
    }

    [Fact]
    public async Task Put_NewBytes_AreStoredUnderTheirSha256AndReadBackIdentical()
    {
        var store = await CreateAsync();
        var bytes = RandomNumberGenerator.GetBytes(2_500_000);

        var stored = await store.PutAsync(new MemoryStream(bytes));

        stored.Should().BeEquivalentTo(new { Key = Sha256Digest.Of(bytes), Size = (long)bytes.Length, AlreadyStored = false });
        (await store.SizeAsync(stored.Key)).Should().Be(bytes.Length);
        await using var read = await store.OpenReadAsync(stored.Key, stored.Version);
        var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        copy.ToArray().Should().Equal(bytes);
        (await store.ListAsync().ToListAsync()).Should().Equal(stored.Key);
    }

    [Fact]
    public async Task Put_SameBytesAgain_IsANoOp()
    {
        var store = await CreateAsync();
        var bytes = RandomNumberGenerator.GetBytes(1000);
        var first = await store.PutAsync(new MemoryStream(bytes));

        var second = await store.PutAsync(new MemoryStream(bytes));

        second.Should().Be(first with { AlreadyStored = true });
        (await store.ListAsync().ToListAsync()).Should().ContainSingle();
    }

    [Fact]
    public async Task Put_SourceFailsHalfWay_LeavesNoObject()
    {
        var store = await CreateAsync();

        var act = () => store.PutAsync(new FailingStream(RandomNumberGenerator.GetBytes(3 << 20), 1 << 20));

        await act.Should().ThrowAsync<IOException>();
        (await store.ListAsync().ToListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task Spooled_ThenStored_LandsUnderItsKey_AndTheSpooledCopyIsGone()
    {
        var store = await CreateAsync();
        var bytes = RandomNumberGenerator.GetBytes(1_200_000);

        var spooled = await store.SpoolAsync(new MemoryStream(bytes));
        (spooled.Key, spooled.Size).Should().Be((Sha256Digest.Of(bytes), bytes.Length));
        (await store.ExistsAsync(spooled.Key)).Should().BeFalse("spooling stores nothing yet");
        var stored = await store.StoreAsync(spooled);

        stored.Should().BeEquivalentTo(new { Key = Sha256Digest.Of(bytes), Size = (long)bytes.Length, AlreadyStored = false });
        (await store.SizeAsync(stored.Key)).Should().Be(bytes.Length);
        File.Exists(spooled.File).Should().BeFalse();
    }

    [Fact]
    public async Task Spooled_ButNotStored_LeavesNoObjectAndNoSpooledCopy()
    {
        var store = await CreateAsync();

        var spooled = await store.SpoolAsync(new MemoryStream(RandomNumberGenerator.GetBytes(300_000)));
        File.Exists(spooled.File).Should().BeTrue();
        spooled.Dispose(); // a dock stopped before this clip's turn to be stored

        File.Exists(spooled.File).Should().BeFalse();
        (await store.ListAsync().ToListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task PublishCheckpoint_OnceOnly_AndListedInOrder()
    {
        var store = await CreateAsync();
        await store.PublishCheckpointAsync(12, "note twelve\n");
        await store.PublishCheckpointAsync(3, "note three\n");
        await store.PublishCheckpointAsync(12, "note twelve\n");

        var different = () => store.PublishCheckpointAsync(12, "another note\n");

        await different.Should().ThrowAsync<InvalidOperationException>();
        (await store.ListCheckpointsAsync()).Should().Equal(3, 12);
        (await store.ReadCheckpointAsync(12)).Should().Be("note twelve\n");
        (await store.ReadCheckpointAsync(7)).Should().BeNull();
    }

    [Fact]
    public async Task Size_UnknownKey_IsNull()
    {
        var store = await CreateAsync();
        (await store.SizeAsync(Sha256Digest.Of("nothing"u8))).Should().BeNull();
        (await store.ExistsAsync(Sha256Digest.Of("nothing"u8))).Should().BeFalse();
    }

    /// <summary>A camera unplugged mid-file.</summary>
    private sealed class FailingStream(byte[] data, int failAfter) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) =>
            Position >= failAfter ? throw new IOException("device unplugged") : base.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Position >= failAfter ? throw new IOException("device unplugged") : base.ReadAsync(buffer, cancellationToken);
    }
}

public sealed class FileSystemObjectStoreContractTests : ObjectStoreContractTests, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "ev-fs-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    protected override string TemporaryDirectory => Path.Combine(_root, "tmp");

    protected override Task<IObjectStore> CreateAsync() => Task.FromResult<IObjectStore>(new FileSystemObjectStore(_root));
}

[Collection(RadosGatewayCollection.Name)]
public sealed class S3ObjectStoreContractTests(RadosGateway gateway) : ObjectStoreContractTests, IDisposable
{
    private readonly string _spool = Path.Combine(Path.GetTempPath(), "ev-s3spool-" + Guid.NewGuid().ToString("N"));
    private readonly string _bucket = "ev-" + Guid.NewGuid().ToString("N")[..12];

    public void Dispose() => Directory.Delete(_spool, recursive: true);

    protected override string TemporaryDirectory => _spool;

    protected override async Task<IObjectStore> CreateAsync() =>
        await S3ObjectStore.ConnectAsync(new S3Options(gateway.Endpoint, gateway.AccessKey, gateway.SecretKey, _bucket, RetentionDays: 1), _spool, RunDates.System);

    [Fact]
    public async Task VersionedDelete_OfAnOriginalUnderComplianceRetention_IsRefused()
    {
        var store = await CreateAsync();
        var stored = await store.PutAsync(new MemoryStream(RandomNumberGenerator.GetBytes(5000)));
        using var client = new MinioClient().WithEndpoint(new Uri(gateway.Endpoint).Host, new Uri(gateway.Endpoint).Port)
            .WithCredentials(gateway.AccessKey, gateway.SecretKey).Build();
        var stat = await client.StatObjectAsync(new StatObjectArgs().WithBucket(_bucket).WithObject("sha256/" + stored.Key.ToHex()));
        stat.VersionId.Should().NotBeNullOrEmpty("the bucket was created with object lock, which versions every object");

        // R5: not even the account that wrote it can remove a version inside the retention period.
        var act = () => client.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(_bucket).WithObject("sha256/" + stored.Key.ToHex()).WithVersionId(stat.VersionId));

        await act.Should().ThrowAsync<Exception>();
        (await store.SizeAsync(stored.Key)).Should().Be(5000);
    }

    [Fact]
    public async Task NewerVersionOrDeleteMarkerOverAnOriginal_OnlyTheVersionVerifiedAtIngestIsServedAndLocked()
    {
        // Issue 18 §10: object lock keeps the locked version but the application's own credentials may
        // put a newer one over it (9 bytes), or a delete marker. Only the version verified at ingest is
        // read, locked and extended; the rest is named as an attempt.
        var store = (S3ObjectStore)await CreateAsync();
        var original = RandomNumberGenerator.GetBytes(7000);
        var replaced = await store.PutAsync(new MemoryStream(original));
        var deleted = await store.PutAsync(new MemoryStream(RandomNumberGenerator.GetBytes(6000)));
        var untouched = await store.PutAsync(new MemoryStream(RandomNumberGenerator.GetBytes(5000)));
        using var client = new MinioClient().WithEndpoint(new Uri(gateway.Endpoint).Host, new Uri(gateway.Endpoint).Port)
            .WithCredentials(gateway.AccessKey, gateway.SecretKey).Build();
        var name = "sha256/" + replaced.Key.ToHex();
        replaced.Version.Should().Be((await client.StatObjectAsync(new StatObjectArgs().WithBucket(_bucket).WithObject(name))).VersionId,
            "the version recorded is the one the server made of the verified bytes");
        await client.PutObjectAsync(new PutObjectArgs().WithBucket(_bucket).WithObject(name)
            .WithStreamData(new MemoryStream("forgeries"u8.ToArray())).WithObjectSize(9));
        var forgedVersion = (await client.StatObjectAsync(new StatObjectArgs().WithBucket(_bucket).WithObject(name))).VersionId;
        await client.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(_bucket).WithObject("sha256/" + deleted.Key.ToHex()));

        foreach (var version in new[] { replaced.Version, null })
        {
            // With the recorded version, and (entries written before versions were recorded) without.
            await using var served = await store.OpenReadAsync(replaced.Key, version);
            using var copy = new MemoryStream();
            await served.CopyToAsync(copy);
            copy.ToArray().Should().Equal(original, "the newer version is not the original");
        }

        await using (var served = await store.OpenReadAsync(deleted.Key, deleted.Version))
        {
            served.Length.Should().Be(6000, "a delete marker does not hide the locked original");
        }

        await store.Invoking(s => s.OpenReadAsync(replaced.Key, forgedVersion)).Should().ThrowAsync<InvalidDataException>().WithMessage("*other bytes*");
        (await store.AttemptOnAsync(replaced.Key, [replaced.Version!])).Should().Contain("newer version").And.Contain("attempt");
        (await store.AttemptOnAsync(deleted.Key, [deleted.Version!])).Should().Contain("delete marker");
        (await store.AttemptOnAsync(untouched.Key, [untouched.Version!])).Should().BeNull();
        (await store.SizeAsync(replaced.Key, replaced.Version!)).Should().Be(7000);

        // R6: the extension locks the original's version, and nothing put over it.
        var now = RunDates.System.GetCurrentInstant();
        var later = Instant.FromUnixTimeSeconds((now + Duration.FromDays(400)).ToUnixTimeSeconds());
        (await store.ExtendRetentionAsync(replaced.Key, later, [replaced.Version!])).Should().Be(later);
        var retention = await client.GetObjectRetentionAsync(new GetObjectRetentionArgs().WithBucket(_bucket).WithObject(name).WithVersionId(replaced.Version));
        DateTimeOffset.Parse(retention.RetainUntilDate, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeSeconds().Should().Be(later.ToUnixTimeSeconds());
        var forgedLock = async () => await client.GetObjectRetentionAsync(new GetObjectRetentionArgs().WithBucket(_bucket).WithObject(name).WithVersionId(forgedVersion));
        await forgedLock.Should().ThrowAsync<Exception>("the forged version was put without a lock and was given none");
    }

    [Fact]
    public async Task AKeyPreSeededWithOtherBytesOfTheSameSize_TheOriginalIsStillStoredAndServed()
    {
        // Issue 18 §10: whoever holds the store's credentials can put bytes under the key a clip will
        // have before it is docked. A same-sized object there must not pass for the original: the
        // original is stored, verified by the server, and that version is what is served.
        var store = await CreateAsync();
        var original = RandomNumberGenerator.GetBytes(8000);
        var key = Sha256Digest.Of(original);
        using var client = new MinioClient().WithEndpoint(new Uri(gateway.Endpoint).Host, new Uri(gateway.Endpoint).Port)
            .WithCredentials(gateway.AccessKey, gateway.SecretKey).Build();
        await client.PutObjectAsync(new PutObjectArgs().WithBucket(_bucket).WithObject("sha256/" + key.ToHex())
            .WithStreamData(new MemoryStream(new byte[8000])).WithObjectSize(8000));

        var stored = await store.PutAsync(new MemoryStream(original));

        stored.Key.Should().Be(key);
        await using var served = await store.OpenReadAsync(key, stored.Version);
        using var copy = new MemoryStream();
        await served.CopyToAsync(copy);
        copy.ToArray().Should().Equal(original, "the pre-seeded zeros are not the original");
        (await store.FindVerifiedAsync(key, 8000))!.Version.Should().Be(stored.Version);
    }

    [Fact]
    public async Task ExtendRetention_LengthensTheComplianceLock_AndNeverShortensIt()
    {
        var store = await CreateAsync();
        var stored = await store.PutAsync(new MemoryStream(RandomNumberGenerator.GetBytes(3000)));
        var now = RunDates.System.GetCurrentInstant();
        // Half-way to the latest lock the store holds: decades ahead on any date the suite runs on.
        var decades = Instant.FromUnixTimeSeconds((now + (S3ObjectStore.LatestLock - now) / 2).ToUnixTimeSeconds());

        (await store.ExtendRetentionAsync(stored.Key, decades, [stored.Version!])).Should().Be(decades);
        (await store.ExtendRetentionAsync(stored.Key, now + Duration.FromDays(2), [stored.Version!])).Should().Be(decades, "a lock is never shortened");
        // Past 2106 RGW's 32-bit date would wrap into the past and unlock the original: locks stop at 2100.
        (await store.ExtendRetentionAsync(stored.Key, now + Duration.FromDays(36525), [stored.Version!])).Should().Be(S3ObjectStore.LatestLock);

        using var client = new MinioClient().WithEndpoint(new Uri(gateway.Endpoint).Host, new Uri(gateway.Endpoint).Port)
            .WithCredentials(gateway.AccessKey, gateway.SecretKey).Build();
        var retention = await client.GetObjectRetentionAsync(new GetObjectRetentionArgs().WithBucket(_bucket).WithObject("sha256/" + stored.Key.ToHex()));
        retention.Mode.Should().Be(Minio.DataModel.ObjectLock.ObjectRetentionMode.COMPLIANCE);
        DateTimeOffset.Parse(retention.RetainUntilDate, System.Globalization.CultureInfo.InvariantCulture).Year.Should().Be(2100);
    }

    [Fact]
    public async Task Connect_ToABucketWithoutObjectLock_IsRefusedAtStartUp()
    {
        using var client = new MinioClient().WithEndpoint(new Uri(gateway.Endpoint).Host, new Uri(gateway.Endpoint).Port)
            .WithCredentials(gateway.AccessKey, gateway.SecretKey).Build();
        await client.MakeBucketAsync(new MakeBucketArgs().WithBucket(_bucket));

        var act = () => S3ObjectStore.ConnectAsync(new S3Options(gateway.Endpoint, gateway.AccessKey, gateway.SecretKey, _bucket), _spool, RunDates.System);

        (await act.Should().ThrowAsync<VaultException>()).Which.Message.Should().Contain($"bucket {_bucket}").And.Contain("without Object Lock");
    }

    [Fact]
    public async Task Upload_SignedByAClockAnHourOff_IsRefusedNamingTheClock()
    {
        await CreateAsync();
        var bytes = RandomNumberGenerator.GetBytes(1000);
        var file = Path.Combine(_spool, "skewed.part");
        await File.WriteAllBytesAsync(file, bytes);
        using var http = new HttpClient();
        var put = new S3SignedPut(http, new S3Options(gateway.Endpoint, gateway.AccessKey, gateway.SecretKey, _bucket));
        var now = RunDates.System.GetCurrentInstant();

        var act = () => put.PutAsync("sha256/" + Sha256Digest.Of(bytes).ToHex(), file, bytes.Length, Sha256Digest.Of(bytes),
            (now + Duration.FromDays(1)).ToDateTimeUtc(), (now - Duration.FromHours(1)).ToDateTimeUtc(), CancellationToken.None);

        (await act.Should().ThrowAsync<VaultException>()).Which.Message.Should().Contain("clock differs from the S3 server's");
    }

    [Fact]
    public async Task Upload_WhoseBytesDifferFromTheSpoolingHash_IsRefusedByTheServerAndNothingLands()
    {
        var store = await CreateAsync();
        var hashed = RandomNumberGenerator.GetBytes(64 * 1024);
        var sent = (byte[])hashed.Clone();
        sent[40_000] ^= 0x01; // the spooled copy changed after it was hashed
        var file = Path.Combine(_spool, "changed.part");
        await File.WriteAllBytesAsync(file, sent);
        using var http = new HttpClient();
        var put = new S3SignedPut(http, new S3Options(gateway.Endpoint, gateway.AccessKey, gateway.SecretKey, _bucket));
        var now = RunDates.System.GetCurrentInstant();
        var key = Sha256Digest.Of(hashed);

        var act = () => put.PutAsync("sha256/" + key.ToHex(), file, sent.Length, key, (now + Duration.FromDays(1)).ToDateTimeUtc(), now.ToDateTimeUtc(), CancellationToken.None);

        (await act.Should().ThrowAsync<VaultException>()).Which.Message.Should().Contain("differ from the ones hashed while spooling").And.Contain(key.ToHex());
        (await store.ExistsAsync(key)).Should().BeFalse();
    }

    [Fact]
    public async Task Connect_FindsTheServerRefusesAPayloadUnlikeItsSignedHash_AndLeavesNothingBehind()
    {
        // A single PUT counts as verified only because the server checks every byte against the
        // signed SHA-256; the store checks that at connection, with bytes signed under another hash.
        await CreateAsync();
        using var http = new HttpClient();
        var put = new S3SignedPut(http, new S3Options(gateway.Endpoint, gateway.AccessKey, gateway.SecretKey, _bucket));

        (await put.RefusesMismatchedPayloadAsync("probe/test", _spool, RunDates.System.GetCurrentInstant().ToDateTimeUtc(), CancellationToken.None)).Should().BeTrue();

        using var client = new MinioClient().WithEndpoint(new Uri(gateway.Endpoint).Host, new Uri(gateway.Endpoint).Port)
            .WithCredentials(gateway.AccessKey, gateway.SecretKey).Build();
        var left = new List<string>();
        await foreach (var item in client.ListObjectsEnumAsync(new ListObjectsArgs().WithBucket(_bucket).WithRecursive(true).WithVersions(true)))
        {
            left.Add(item.Key);
        }

        left.Should().BeEmpty("neither the connection's check nor this one stored anything");
        Directory.GetFiles(_spool).Should().BeEmpty();
    }

    [Fact]
    public async Task Upload_ToAGatewayThatStopsAnswering_FailsWithAClearErrorInsteadOfWaiting()
    {
        await CreateAsync(); // the locked bucket, made with the usual time limits (making one can take seconds)
        var store = await S3ObjectStore.ConnectAsync(
            new S3Options(gateway.Endpoint, gateway.AccessKey, gateway.SecretKey, _bucket, RetentionDays: 1, UploadAnswerTimeout: TimeSpan.FromSeconds(3)), _spool, RunDates.System);
        var bytes = RandomNumberGenerator.GetBytes(256 * 1024);
        var key = Sha256Digest.Of(bytes);

        var waited = System.Diagnostics.Stopwatch.StartNew();
        using (gateway.FreezeGateway())
        {
            var act = () => store.PutAsync(new MemoryStream(bytes));
            (await act.Should().ThrowAsync<VaultException>()).Which.Message.Should().Contain("did not answer the upload of sha256/" + key.ToHex()).And.Contain("full or stalled");
        }

        waited.Elapsed.Should().BeLessThan(TimeSpan.FromMinutes(1), "the dock is told, not left waiting for the HTTP client's two hours");
        Directory.GetFiles(_spool).Should().BeEmpty("the spooled copy is removed; the camera keeps the original");
    }

    [Fact]
    public async Task Connect_WrongSecret_IsAClearErrorAtStartUp()
    {
        var act = () => S3ObjectStore.ConnectAsync(new S3Options(gateway.Endpoint, gateway.AccessKey, "wrong-" + gateway.SecretKey, _bucket), _spool, RunDates.System);

        (await act.Should().ThrowAsync<VaultException>()).Which.Message.Should().StartWith($"The S3 server at {gateway.Endpoint} refused the credentials");
    }
}
