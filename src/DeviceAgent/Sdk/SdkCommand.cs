using EvidenceVault.Custody.Hosting;
using EvidenceVault.DeviceAgent.Ingest;
using NodaTime;
using NodaTime.Text;
using Serilog;

namespace EvidenceVault.DeviceAgent.Sdk;

/// <summary>
/// <c>deviceagent sdk --library PATH --data DIR [--volume PATH]</c>: dock one camera through the vendor
/// SDK. Connect, read identity, read the camera's clock and record its offset from the dock's clock
/// (before syncing: recorded times are corrected by it, and both raw and corrected are kept), sync
/// the clock, switch to mass storage, then ingest the volume with the SDK's identity.
/// </summary>
internal static class SdkCommand
{
    public static async Task<int> RunAsync(Arguments arguments)
    {
        var library = arguments.Required("library");
        var password = arguments.Value("password") ?? Environment.GetEnvironmentVariable("EVIDENCEVAULT_SDK_PASSWORD") ?? "000000";
        using var host = AgentHost.Open(arguments);
        using var sdk = new ZfySdk(library);
        try
        {
            sdk.Connect(arguments.Value("id-code") ?? string.Empty);
            var identity = sdk.ReadIdentity(password);
            // Where the camera's volume is mounted once it is in mass-storage mode: given, or the
            // dock integration's convention <mount root>/<serial> (hardware/README.md).
            var volume = Path.GetFullPath(arguments.Value("volume") ?? Path.Combine(
                Environment.GetEnvironmentVariable("EVIDENCEVAULT_DOCK_MOUNTS") is { Length: > 0 } mounts ? mounts : "/run/evidencevault/docked",
                identity.Serial));
            var zone = (arguments.Value("profile") is { } id ? host.Profiles.FirstOrDefault(p => p.Id == id) : null)?.Zone ?? host.Profiles[0].Zone;
            var offset = MeasureClockOffset(sdk, password, zone, host.Vault.Clock);
            Log.Information("Camera {Serial} of officer {OfficerId} ({OfficerName}, {UnitName}) docked; clock offset {OffsetSeconds} s",
                identity.Serial, identity.UserNo, identity.UserName, identity.UnitName, offset);
            sdk.SyncClock(password);
            sdk.SwitchToMassStorage(password);
            await WaitForVolumeAsync(volume, TimeSpan.FromSeconds(arguments.Long("wait-seconds") ?? 30));

            var camera = new DockedCamera(volume, identity.Serial, identity.UserNo, identity.UserName, identity.UnitNo, identity.UnitName, offset, "sdk");
            var outcomes = await host.WithProgressAsync(arguments, () => host.IngestAsync(camera, arguments.Value("profile"), arguments.Has("delete-after-custody")));
            host.PrintDeferred();
            if (await Forward.ForwardCommand.PassAsync(host, arguments, CancellationToken.None) is { } forwarded)
            {
                Forward.ForwardCommand.Report(host, forwarded);
            }

            return outcomes.All(o => o.Custodied) ? 0 : 1;
        }
        catch (SdkException e)
        {
            Console.Error.WriteLine($"deviceagent: {e.Message}");
            return 1;
        }
    }

    /// <summary>Camera clock minus dock clock, in seconds (1 s resolution), or null when the SDK cannot read the clock.</summary>
    private static double? MeasureClockOffset(ZfySdk sdk, string password, DateTimeZone zone, IClock clock)
    {
        var before = clock.GetCurrentInstant();
        var text = sdk.ReadClock(password);
        var after = clock.GetCurrentInstant();
        if (text is null)
        {
            Log.Warning("The SDK library cannot read the camera clock: recorded times are not corrected");
            return null;
        }

        var parsed = LocalDateTimePattern.CreateWithInvariantCulture("yyyy-MM-dd HH:mm:ss").Parse(text);
        if (!parsed.Success)
        {
            throw new SdkException($"The camera reported its clock as '{text}', which is not yyyy-MM-dd HH:mm:ss.");
        }

        var dock = before + (after - before) / 2;
        var camera = parsed.Value.InZoneLeniently(zone).ToInstant();
        return Math.Round((camera - dock).TotalSeconds);
    }

    private static async Task WaitForVolumeAsync(string volume, TimeSpan timeout)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!Directory.Exists(volume))
        {
            if (waited.Elapsed > timeout)
            {
                throw new SdkException($"The camera switched to mass storage but no volume appeared at {volume} within {timeout.TotalSeconds} s.");
            }

            await Task.Delay(250);
        }
    }
}
