using EvidenceVault.Custody;
using EvidenceVault.Custody.Hosting;
using EvidenceVault.DeviceAgent.Dock;
using EvidenceVault.DeviceAgent.Ingest;
using EvidenceVault.DeviceAgent.Sdk;
using Serilog;
using Serilog.Formatting.Compact;

// deviceagent: runs on the dock PC. Exit codes: 0 every clip in verified custody, 1 some clip or
// camera is not (each named), 2 the command line is wrong. Logs go to stderr; --json results to stdout.
Console.OutputEncoding = System.Text.Encoding.UTF8;
#pragma warning disable RS0030 // composition root: the one place this program reads the system clock
EvidenceVault.DeviceAgent.Ingest.AgentHost.Clock = NodaTime.SystemClock.Instance;
#pragma warning restore RS0030
// With live progress bars on the terminal, only warnings and errors are logged beside them.
var interactive = !Console.IsOutputRedirected && !args.Contains("--json");
var logger = new LoggerConfiguration().MinimumLevel.Is(interactive ? Serilog.Events.LogEventLevel.Warning : Serilog.Events.LogEventLevel.Information);
logger = Console.IsErrorRedirected
    ? logger.WriteTo.Console(new CompactJsonFormatter(), standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose)
    : logger.WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose);
Log.Logger = logger.CreateLogger();
try
{
    return args.FirstOrDefault() switch
    {
        "ingest" => await IngestCommand.RunAsync(args[1..]),
        "dock" => await DockCommand.RunAsync(args[1..]),
        "sdk" => await SdkCommand.RunAsync(args[1..]),
        "forward" => await EvidenceVault.DeviceAgent.Forward.ForwardCommand.RunAsync(args[1..]),
        null or "help" or "--help" => Usage(Console.Out, 0),
        var verb => throw new UsageException($"Unknown command '{verb}'."),
    };
}
catch (UsageException e)
{
    Console.Error.WriteLine($"deviceagent: {e.Message}");
    return Usage(Console.Error, 2);
}
catch (Exception e) when (e is VaultException or IOException or UnauthorizedAccessException or FormatException or InvalidDataException or Microsoft.Data.Sqlite.SqliteException or SdkException)
{
    // An operator gets one line naming what is wrong, never a stack trace.
    Console.Error.WriteLine($"deviceagent: {e.Message}");
    return 1;
}
finally
{
    await Log.CloseAndFlushAsync();
}

static int Usage(TextWriter writer, int code)
{
    writer.WriteLine("""
        usage:
          deviceagent ingest <volume> --data DIR [--profile ID] [--json] [--delete-after-custody]
          deviceagent dock <mount-root> --data DIR [--parallel N] [--once] [--json] [--delete-after-custody]
          deviceagent sdk --library PATH --data DIR [--volume PATH] [--password P] [--json] [--delete-after-custody]
          deviceagent forward --data DIR --api URL [--key-file FILE] [--json]
        networked mode: ingest, dock and sdk also take --api URL [--key-file FILE] and forward the spool
        to the central Ingest.Api after each camera (the key may also come from EVIDENCEVAULT_API_KEY)
        """);
    return code;
}
