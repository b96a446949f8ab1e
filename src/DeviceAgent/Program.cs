using EvidenceVault.Custody;
using EvidenceVault.Custody.Hosting;
using EvidenceVault.DeviceAgent.Dock;
using EvidenceVault.DeviceAgent.Ingest;
using EvidenceVault.DeviceAgent.Sdk;
using System.CommandLine;
using Serilog;

// deviceagent: runs on the dock PC. Exit codes: 0 every clip in verified custody, 1 some clip or
// camera is not (each named), 2 the command line is wrong. Logs go to stderr; --json results to stdout.
Console.OutputEncoding = System.Text.Encoding.UTF8;
#pragma warning disable RS0030 // composition root: the one place this program reads the system clock
EvidenceVault.DeviceAgent.Ingest.AgentHost.Clock = NodaTime.SystemClock.Instance;
#pragma warning restore RS0030
// With live progress bars on the terminal, only warnings and errors are logged beside them.
var interactive = !Console.IsOutputRedirected && !args.Contains("--json");
Log.Logger = ConsoleLog.Configuration(interactive ? Serilog.Events.LogEventLevel.Warning : Serilog.Events.LogEventLevel.Information).CreateLogger();
var root = new RootCommand("deviceagent: runs on the dock PC. Exit codes: 0 every clip in verified custody, 1 some clip or camera is not (each named), 2 the command line is wrong. Logs go to stderr; --json results to stdout.");
// Networked mode: ingest, dock and sdk also take --api URL [--key-file FILE] and forward the spool to
// the central Ingest.Api after each camera (the key may also come from EVIDENCEVAULT_API_KEY).
string[] networked = ["api", "key-file", "retry-seconds"];
CommandLine.Verb(root, "ingest", "Ingest one camera volume (a mounted folder) into custody.", ["data!", "profile", "profiles", .. networked, "?json", "?delete-after-custody"], IngestCommand.RunAsync, positional: "VOLUME");
CommandLine.Verb(root, "dock", "The dock service: every volume mounted under MOUNT-ROOT is a docked camera.", ["data!", "profile", "profiles", "parallel#", "poll-seconds#", .. networked, "?json", "?once", "?delete-after-custody"], DockCommand.RunAsync, positional: "MOUNT-ROOT");
CommandLine.Verb(root, "sdk", "Dock a camera through the vendor SDK: identity, clock offset, sync, mass storage, ingest.", ["library!", "data!", "volume", "password", "id-code", "profile", "profiles", "wait-seconds#", .. networked, "?json", "?delete-after-custody"], SdkCommand.RunAsync);
CommandLine.Verb(root, "forward", "Forward the spool of a networked dock to the central Ingest.Api.", ["data!", "api", "key-file", "profiles", "retry-seconds", "?json"], EvidenceVault.DeviceAgent.Forward.ForwardCommand.RunAsync);
CommandLine.HelpWhenBare(root);
try
{
    return await CommandLine.RunAsync(root, "deviceagent", args);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"deviceagent: {e.Message}");
    Console.Error.WriteLine("See 'deviceagent VERB --help'.");
    return 2;
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
