using System.Runtime.InteropServices;
using EvidenceVault.Custody.Hosting;
using EvidenceVault.DeviceAgent.Ingest;
using Serilog;

namespace EvidenceVault.DeviceAgent.Dock;

/// <summary>
/// <c>deviceagent dock &lt;mount-root&gt; --data DIR</c>: the dock service. Each volume mounted under
/// the root is a docked camera; up to --parallel cameras are ingested at once (collection stations
/// take 8–25), and one failing camera does not stop the others. A volume that goes away and comes
/// back is a new dock. With --once it takes what is docked now and exits.
/// </summary>
internal static class DockCommand
{
    public static async Task<int> RunAsync(Arguments arguments)
    {
        var root = Path.GetFullPath(arguments.Positionals[0]);
        Directory.CreateDirectory(root);
        var parallel = (int)(arguments.Long("parallel") ?? 4);
        var poll = TimeSpan.FromSeconds(arguments.Long("poll-seconds") ?? 2);
        using var host = AgentHost.Open(arguments);
        using var stop = new CancellationTokenSource();
        // Ctrl-C and systemd's SIGTERM stop the service: clips already stored get their entries and a
        // signed checkpoint, the rest stay on the camera, and the exit code says whether every camera
        // taken is in custody.
        // (The registrations are disposed before the token source: no signal reaches a disposed one.)
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

        var code = await host.WithProgressAsync(arguments, () => WatchAsync(host, root, arguments, parallel, poll, stop.Token));
        host.PrintDeferred();
        return code;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    private static async Task<int> WatchAsync(AgentHost host, string root, Arguments arguments, int parallel, TimeSpan poll, CancellationToken stopping)
    {
        using var slots = new SemaphoreSlim(parallel);
        var running = new Dictionary<string, Task<bool>>(StringComparer.Ordinal);
        Task? forwarding = null;
        // A volume mounted under the root is seen at once (inotify), so an officer's camera is not left
        // waiting for the next poll; the poll stays for what no event reports (a mount over an existing
        // directory, a lost event).
        using var docked = new SemaphoreSlim(0, 1);
        using var watcher = new FileSystemWatcher(root) { NotifyFilter = NotifyFilters.DirectoryName, IncludeSubdirectories = false };
        watcher.Created += (_, _) => Wake(docked);
        watcher.Renamed += (_, _) => Wake(docked);
        watcher.EnableRaisingEvents = true;
        Log.Information("Dock service watching {Root}, {Parallel} cameras at once", root, parallel);
        var refused = new HashSet<string>(StringComparer.Ordinal);
        while (!stopping.IsCancellationRequested)
        {
            // Networked mode: the spool is handed on in the background, one pass at a time; cameras never wait for it.
            if (!arguments.Has("once") && (forwarding is null || forwarding.IsCompleted))
            {
                forwarding = ForwardAsync(host, arguments, stopping);
            }

            var present = Volumes(root, refused);
            // R1 (001 §21, 002 §13): a docked camera's clips reach storage at this dock. An empty directory
            // is a mount point whose volume is not there yet (created just before the mount, or mounted
            // over later): it is taken once it has content, not finished as an empty camera and forgotten.
            foreach (var volume in present.Where(v => !running.ContainsKey(v) && HasContent(v)))
            {
                running[volume] = IngestOneAsync(host, volume, arguments, slots, stopping);
            }

            // A camera taken out of the dock may be docked again later: forget finished volumes that left.
            foreach (var gone in running.Keys.Where(v => !present.Contains(v) && running[v].IsCompleted).ToList())
            {
                running.Remove(gone);
            }

            if (arguments.Has("once"))
            {
                await Task.WhenAll(running.Values);
                await ForwardAsync(host, arguments, stopping);
                break;
            }

            try
            {
                await docked.WaitAsync(poll, stopping);
            }
            catch (OperationCanceledException)
            {
            }
        }

        // The cameras still docked, finished or cut short by a stop, decide the exit code.
        var wholly = await Task.WhenAll(running.Values);
        if (forwarding is not null)
        {
            await forwarding;
        }

        return wholly.All(ok => ok) ? 0 : 1;
    }

    /// <summary>
    /// The volumes mounted under the root. A link there is not a mount: it could point at any folder of
    /// the dock PC (the vault's own objects once), so it is never followed, and said once.
    /// </summary>
    private static List<string> Volumes(string root, HashSet<string> refused)
    {
        var volumes = new List<string>();
        foreach (var entry in new DirectoryInfo(root).EnumerateDirectories().OrderBy(d => d.FullName, StringComparer.Ordinal))
        {
            if (entry.LinkTarget is not null)
            {
                if (refused.Add(entry.FullName))
                {
                    Log.Error("{Entry} under the dock root is a symbolic link, not a mounted camera: it is not followed", entry.FullName);
                }

                continue;
            }

            volumes.Add(entry.FullName);
        }

        return volumes;
    }

    private static bool HasContent(string volume)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries(volume).Any();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true; // unreadable: the ingest names the error
        }
    }

    private static void Wake(SemaphoreSlim docked)
    {
        try
        {
            docked.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken: the next pass sees every volume present.
        }
    }

    private static async Task ForwardAsync(AgentHost host, Arguments arguments, CancellationToken stopping)
    {
        try
        {
            var result = await Forward.ForwardCommand.PassAsync(host, arguments, stopping);
            if (result is not null && (result.Forwarded > 0 || result.Pending > 0 || result.Failed > 0))
            {
                Forward.ForwardCommand.Report(host, result);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task<bool> IngestOneAsync(AgentHost host, string volume, Arguments arguments, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        await slots.WaitAsync(cancellationToken);
        try
        {
            var camera = new DockedCamera(volume, null, null, null, null, null, null, "mass-storage");
            var outcomes = await host.IngestAsync(camera, arguments.Value("profile"), arguments.Has("delete-after-custody"), cancellationToken);
            return outcomes.All(o => o.Custodied);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped mid-camera: what was stored has its entries; the rest stays on the camera for the next dock.
            Log.Warning("Camera at {Volume}: the service stopped before every clip was taken; the others stay on the camera", volume);
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // One camera's failure is reported and does not stop the dock.
            Log.Error(e, "Camera at {Volume} could not be ingested", volume);
            return false;
        }
        finally
        {
            slots.Release();
        }
    }
}
