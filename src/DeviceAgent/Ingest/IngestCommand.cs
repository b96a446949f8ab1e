using EvidenceVault.Custody;
using EvidenceVault.Custody.Hosting;

namespace EvidenceVault.DeviceAgent.Ingest;

/// <summary><c>deviceagent ingest &lt;volume&gt; --data DIR [--profile ID] [--json]</c>: one docked camera in mass-storage mode.</summary>
internal static class IngestCommand
{
    public static async Task<int> RunAsync(Arguments arguments)
    {
        var volume = Path.GetFullPath(arguments.Positionals[0]);
        if (!Directory.Exists(volume))
        {
            throw new VaultException($"Volume {volume} does not exist or is not a directory.");
        }

        using var host = AgentHost.Open(arguments);
        var camera = new DockedCamera(volume, null, null, null, null, null, null, "mass-storage");
        var outcomes = await host.WithProgressAsync(arguments, () => host.IngestAsync(camera, arguments.Value("profile"), arguments.Has("delete-after-custody")));
        host.PrintDeferred();
        // Networked mode: custody at the dock comes first; forwarding waits for the network if it must.
        if (await Forward.ForwardCommand.PassAsync(host, arguments, CancellationToken.None) is { } forwarded)
        {
            Forward.ForwardCommand.Report(host, forwarded);
        }

        return outcomes.All(o => o.Custodied) ? 0 : 1;
    }
}
