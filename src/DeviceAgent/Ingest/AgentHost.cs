using MediatR;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Hosting;
using EvidenceVault.DeviceAgent.Profiles;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Serilog;

namespace EvidenceVault.DeviceAgent.Ingest;

/// <summary>What every agent verb shares: the vault, the command sender, the device profiles and the clip report.</summary>
internal sealed class AgentHost : IDisposable
{
    private static readonly System.Text.Json.JsonSerializerOptions JsonLine = new(System.Text.Json.JsonSerializerDefaults.Web);
    private readonly ServiceProvider _services;
    private readonly Lock _output = new();
    private readonly VaultFacts _vaultFacts;

    /// <summary>Which vault took the clips, in every JSON line: a script sees a vault set up by this run (a mistyped --data).</summary>
    private sealed record VaultFacts(bool Created, string Path, string KeyFingerprint);

    private AgentHost(Vault vault, IReadOnlyList<DeviceProfile> profiles, bool json)
    {
        Vault = vault;
        Profiles = profiles;
        Json = json;
        _services = new ServiceCollection().AddCustody(vault).BuildServiceProvider();
        _vaultFacts = new VaultFacts(vault.CreatedNow, vault.DataDirectory, vault.VerifierKey.Fingerprint);
        var abandoned = vault.Objects.RemoveAbandonedTemporaryFiles();
        if (abandoned > 0)
        {
            Log.Warning("Removed {Count} partial copies left by an interrupted dock; those clips are still on their cameras and are taken again", abandoned);
        }
    }

    public Vault Vault { get; }

    public IReadOnlyList<DeviceProfile> Profiles { get; }

    public bool Json { get; }

    public IngestProgress Progress { get; private set; } = new();

    /// <summary>A person is watching: show live bars instead of progress log events (results still print after).</summary>
    public static bool Interactive(Arguments arguments) => !Console.IsOutputRedirected && !arguments.Has("json");

    /// <summary>Runs the dock's work with terminal progress bars when a person is watching.</summary>
    public async Task<T> WithProgressAsync<T>(Arguments arguments, Func<Task<T>> work)
    {
        if (!Interactive(arguments))
        {
            return await work().ConfigureAwait(false);
        }

        return await TerminalProgress.RunAsync(async progress =>
        {
            Progress = progress;
            return await work().ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>The clock the agent's vault reads, chosen once by Program.cs (the composition root).</summary>
    public static IClock Clock { get; set; } = null!;

    public static AgentHost Open(Arguments arguments)
    {
        // The device profiles are read while the vault opens (a deployment's opening waits on its servers).
        var profiles = Task.Run(() => DeviceProfile.LoadAll(arguments.Value("profiles")));
        var vault = Vault.OpenOrCreate(arguments.Required("data"), Clock, VaultOptions.FromEnvironment());
        try
        {
            if (vault.CreatedNow)
            {
                // A --data mistyped by one letter would otherwise file evidence, under a new key, where nobody looks.
                Console.Error.WriteLine($"deviceagent: set up a NEW vault at {vault.DataDirectory} with a new signing key (public key SHA-256 {vault.VerifierKey.Fingerprint}), kept at {vault.SigningKeyLocation}, outside the data folder: back it up apart from the vault. If this station already has a vault, check --data.");
            }

            return new AgentHost(vault, profiles.GetAwaiter().GetResult(), arguments.Has("json"));
        }
        catch
        {
            vault.Dispose();
            throw;
        }
    }

    /// <summary>The named profile, or the first whose naming convention a file on the volume follows.</summary>
    public DeviceProfile ProfileFor(string volume, string? id)
    {
        if (id is not null)
        {
            return Profiles.FirstOrDefault(p => p.Id == id) ?? throw new UsageException($"No device profile '{id}' (known: {string.Join(", ", Profiles.Select(p => p.Id))}).");
        }

        var names = CameraVolume.Names(volume, 200).ToList();
        return Profiles.FirstOrDefault(p => names.Any(n => p.ParseName(n) is not null)) ?? Profiles[0];
    }

    public async Task<IReadOnlyList<ClipOutcome>> IngestAsync(DockedCamera camera, string? profileId, bool deleteAfterCustody, CancellationToken cancellationToken = default)
    {
        var profile = ProfileFor(camera.Volume, profileId);
        var ingest = new CameraIngest(Vault, _services.GetRequiredService<IMediator>(), profile, Progress);
        var outcomes = await ingest.RunAsync(camera, deleteAfterCustody, cancellationToken).ConfigureAwait(false);
        Report(camera, outcomes);
        return outcomes;
    }

    public void Dispose()
    {
        _services.Dispose();
        Vault.Dispose();
    }

    private readonly List<(DockedCamera Camera, IReadOnlyList<ClipOutcome> Outcomes)> _deferred = [];

    /// <summary>Prints the per-clip results held back while live progress bars were on screen.</summary>
    public void PrintDeferred()
    {
        foreach (var (camera, outcomes) in _deferred)
        {
            Print(camera, outcomes);
        }

        _deferred.Clear();
    }

    private void Report(DockedCamera camera, IReadOnlyList<ClipOutcome> outcomes)
    {
        if (Progress is TerminalProgress)
        {
            lock (_output)
            {
                _deferred.Add((camera, outcomes));
            }

            return;
        }

        Print(camera, outcomes);
    }

    private void Print(DockedCamera camera, IReadOnlyList<ClipOutcome> outcomes)
    {
        lock (_output)
        {
            foreach (var o in outcomes)
            {
                if (Json)
                {
                    Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
                    {
                        fileName = o.FileName,
                        sha256 = o.Sha256,
                        size = o.Size,
                        status = o.Status,
                        flags = o.Flags,
                        bytesRead = o.BytesRead,
                        ledgerIndex = o.LedgerIndex,
                        deviceSerial = o.DeviceSerial,
                        volume = camera.Volume,
                        error = o.Error,
                        vault = _vaultFacts,
                    }, JsonLine));
                }
                else
                {
                    var flags = o.Flags.Count > 0 ? $"  [{string.Join(", ", o.Flags)}]" : string.Empty;
                    // The name and the reason come from the camera: escaped, so neither can rewrite the screen or forge a row.
                    Console.WriteLine(TerminalText.Printable($"{o.Status,-18} {o.Sha256 ?? new string('-', 64)}  {o.FileName}{flags}{(o.Error is null ? string.Empty : "  " + o.Error)}"));
                }
            }
        }
    }
}
