using EvidenceVault.Custody.Checkpoints;
using EvidenceVault.Custody.Ledger;
using NodaTime;
using NodaTime.Testing;

namespace EvidenceVault.Custody.Tests;

public sealed class VaultTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "ev-vault-" + Guid.NewGuid().ToString("N"));
    private readonly FakeClock _clock = new(Instant.FromUtc(2026, 11, 23, 0, 0));

    private string KeyFile => _directory + ".signing-key";

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        File.Delete(KeyFile);
    }

    [Fact]
    public async Task Create_WithConfiguredKey_WritesNoKeyFileAndSignsWithThatKey()
    {
        var seed = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        var options = new VaultOptions { Origin = "agency.example/vault", SigningKeySeed = Convert.ToBase64String(seed) };
        using (var vault = Vault.Create(_directory, _clock, options))
        {
            vault.VerifierKey.ToString().Should().Be(new NoteSigningKey("agency.example/vault", seed).Verifier.ToString());
        }

        File.Exists(KeyFile).Should().BeFalse("the configured key is written nowhere");
        Directory.Exists(Path.Combine(_directory, "keys")).Should().BeFalse();
        using var reopened = Vault.Open(_directory, _clock, options);
        reopened.Ledger.Append([new NewEntry("TestRecorded", "user:t", ["vault"], "test", "{}"u8.ToArray())], reopened.Sealer);
        (await reopened.CheckpointAsync()).Should().NotBeNull();
    }

    [Fact]
    public async Task Checkpoint_WithAnotherAgencysKey_IsRefusedNamingTheExpectedKey()
    {
        using (Vault.Create(_directory, _clock, new VaultOptions { Origin = "agency.example/vault" }))
        {
        }

        var wrong = new VaultOptions { SigningKeySeed = Convert.ToBase64String(new byte[32]) };
        using var vault = Vault.Open(_directory, _clock, wrong);
        // Nothing is appended that the node could not seal and sign over.
        var act = () => vault.RecordAsync([new NewEntry("TestRecorded", "user:t", ["vault"], "test", "{}"u8.ToArray())]);

        (await act.Should().ThrowAsync<VaultException>()).WithMessage("*does not belong to this vault*agency.example/vault+*");
    }

    [Fact]
    public void Create_WhereAVaultExists_IsRefused()
    {
        using (Vault.Create(_directory, _clock))
        {
        }

        var act = () => Vault.Create(_directory, _clock);

        act.Should().Throw<VaultException>().WithMessage("A vault already exists*");
    }

    [Fact]
    public void Create_NewVault_KeepsTheSigningSeedOutsideTheFolderReadableByItsOwnerOnly()
    {
        using var vault = Vault.Create(_directory, _clock);

        // Issue 20: a copy of the data folder (a backup, a stolen disk image) holds no key to sign with.
        vault.SigningKeyLocation.Should().Be(KeyFile);
        File.GetUnixFileMode(KeyFile).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.EnumerateFiles(_directory, "*", SearchOption.AllDirectories)
            .Should().NotContain(f => File.ReadAllText(f).Contains(File.ReadAllText(KeyFile).Trim(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Checkpoint_KeyFileOthersMayRead_IsRefusedNamingTheFileAndTheFix()
    {
        using (Vault.Create(_directory, _clock))
        {
        }

        File.SetUnixFileMode(KeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using var vault = Vault.Open(_directory, _clock);
        var act = () => vault.RecordAsync([new NewEntry("TestRecorded", "user:t", ["vault"], "test", "{}"u8.ToArray())]);

        (await act.Should().ThrowAsync<VaultException>()).WithMessage($"*{KeyFile} may be read or changed by others (mode 644): chmod 600 it*");
        vault.Ledger.Size.Should().Be(1, "nothing is written under a key others may have copied");
    }

    [Fact]
    public void Create_KeyFileConfiguredInsideTheFolder_IsRefused()
    {
        var act = () => Vault.Create(_directory, _clock, new VaultOptions { SigningKeyFile = Path.Combine(_directory, "keys", "mine.key") });

        act.Should().Throw<VaultException>().WithMessage("*is inside the data folder*");
    }

    [Fact]
    public void Create_KeyFileProvisionedByTheAgency_IsUsedNotReplaced()
    {
        var seed = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        File.WriteAllText(KeyFile, Convert.ToBase64String(seed) + "\n");
        File.SetUnixFileMode(KeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        using var vault = Vault.Create(_directory, _clock, new VaultOptions { Origin = "agency.example/vault" });

        vault.VerifierKey.ToString().Should().Be(new NoteSigningKey("agency.example/vault", seed).Verifier.ToString());
        File.ReadAllText(KeyFile).Should().Be(Convert.ToBase64String(seed) + "\n");
    }

    [Fact]
    public void Create_WithAnUnknownPolicyProfile_IsRefusedBeforeAnythingIsWritten()
    {
        var act = () => Vault.Create(_directory, _clock, new VaultOptions { PolicyProfile = "nowhere-bureau" });

        act.Should().Throw<VaultException>().WithMessage("No policy profile 'nowhere-bureau'*");
        Directory.Exists(_directory).Should().BeFalse();
    }
}
