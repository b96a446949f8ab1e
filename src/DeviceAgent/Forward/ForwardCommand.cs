using EvidenceVault.Custody.Hosting;
using EvidenceVault.DeviceAgent.Ingest;
using Serilog;

namespace EvidenceVault.DeviceAgent.Forward;

/// <summary>
/// <c>deviceagent forward --data DIR --api URL [--key-file F]</c>: hands the dock's spool to the central
/// Ingest.Api. Exit 0 when nothing is left to forward, 1 when clips still wait (the reason printed).
/// The station's key comes from --key-file or EVIDENCEVAULT_API_KEY, never the command line.
/// </summary>
internal static class ForwardCommand
{
    public static async Task<int> RunAsync(Arguments arguments)
    {
        using var host = AgentHost.Open(arguments);
        var result = await PassAsync(host, arguments, CancellationToken.None) ?? throw new UsageException("forward needs --api URL.");
        Report(host, result);
        return result.Pending == 0 && result.Failed == 0 ? 0 : 1;
    }

    /// <summary>One forwarding pass when --api is given (ingest and dock call this after each camera); null otherwise.</summary>
    public static async Task<ForwardResult?> PassAsync(AgentHost host, Arguments arguments, CancellationToken cancellationToken)
    {
        if (arguments.Value("api") is not { } url)
        {
            return null;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var api))
        {
            throw new UsageException($"--api '{url}' is not a URL.");
        }

        var key = arguments.Value("key-file") is { } file ? (await File.ReadAllTextAsync(file, cancellationToken)).Trim()
            : Environment.GetEnvironmentVariable("EVIDENCEVAULT_API_KEY")
            ?? throw new UsageException("The station's API key comes from --key-file FILE or EVIDENCEVAULT_API_KEY.");
        using var client = Forwarder.Client(api, key);
        var delay = TimeSpan.FromSeconds(double.Parse(arguments.Value("retry-seconds") ?? "1", System.Globalization.CultureInfo.InvariantCulture));
        return await new Forwarder(host.Vault, client, delay).ForwardPendingAsync(cancellationToken);
    }

    public static void Report(AgentHost host, ForwardResult result)
    {
        if (host.Json)
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { forwarded = result.Forwarded, alreadyThere = result.AlreadyThere, pending = result.Pending, failed = result.Failed, problem = result.Problem }));
        }
        else
        {
            Console.WriteLine($"forwarded {result.Forwarded} clips to central custody ({result.AlreadyThere} were already there); {result.Pending} wait in this dock's spool{(result.Problem is null ? string.Empty : ": " + result.Problem)}");
        }

        if (result.Pending > 0)
        {
            Log.Warning("{Pending} clips wait in this dock's spool for central custody: {Problem}", result.Pending, result.Problem);
        }
    }
}
