using System.Text.Json;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Commands;
using EvidenceVault.Custody.Hosting;
using EvidenceVault.Custody.Ingest;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Serilog;

namespace EvidenceVault.DeviceAgent.Ingest;

/// <summary>
/// <c>deviceagent ingest &lt;volume&gt; --data DIR</c>: every regular file on a docked camera's
/// volume into custody, then one signed checkpoint for the batch. Symbolic links are not followed.
/// A clip that fails is named and the others go on; the exit code says whether all made it.
/// </summary>
internal static class IngestVolumeCommand
{
    private static readonly JsonSerializerOptions JsonLine = new(JsonSerializerDefaults.Web);

    public static async Task<int> RunAsync(string[] args)
    {
        var arguments = Arguments.Parse(args, ["data", "profile"], ["json"]);
        if (arguments.Positionals.Count != 1)
        {
            throw new UsageException("ingest takes exactly one volume path.");
        }

        var volume = Path.GetFullPath(arguments.Positionals[0]);
        if (!Directory.Exists(volume))
        {
            throw new VaultException($"Volume {volume} does not exist or is not a directory.");
        }

        using var vault = Vault.OpenOrCreate(arguments.Required("data"), SystemClock.Instance, VaultOptions.FromEnvironment());
        using var services = new ServiceCollection().AddCustody(vault).BuildServiceProvider();
        var sender = services.GetRequiredService<ISender>();
        var json = arguments.Has("json");
        var failures = 0;

        foreach (var file in CameraVolume.Files(volume))
        {
            var name = Path.GetRelativePath(volume, file);
            try
            {
                await using var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
                var result = await sender.Send(new IngestClip(source, name, null, null, null, []));
                Log.Information("{FileName} in custody as {Sha256} ({Size} bytes, ledger entry {Index})", name, result.Sha256.ToHex(), result.Size, result.LedgerIndex);
                Report(json, name, result.Sha256.ToHex(), result.Size, "in-custody", result.AlreadyStored ? ["already-stored"] : []);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FluentValidation.ValidationException or VaultException)
            {
                failures++;
                Log.Error("{FileName} is NOT in custody: {Reason}", name, e.Message);
                Report(json, name, null, null, "failed", [e.Message]);
            }
        }

        await vault.CheckpointAsync();
        return failures == 0 ? 0 : 1;
    }

    private static void Report(bool json, string name, string? sha256, long? size, string status, IReadOnlyList<string> flags)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { fileName = name, sha256, size, status, flags }, JsonLine));
        }
        else
        {
            Console.WriteLine($"{status,-10} {sha256 ?? new string('-', 64)}  {name}");
        }
    }
}
