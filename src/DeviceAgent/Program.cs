using EvidenceVault.Custody;
using EvidenceVault.Custody.Hosting;
using EvidenceVault.DeviceAgent.Ingest;
using Serilog;

// deviceagent: runs on the dock PC. Exit codes: 0 every clip in verified custody, 1 some clip is
// not (each named), 2 the command line is wrong.
Console.OutputEncoding = System.Text.Encoding.UTF8;
Log.Logger = new LoggerConfiguration()
    .WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose)
    .CreateLogger();
try
{
    return args.FirstOrDefault() switch
    {
        "ingest" => await IngestVolumeCommand.RunAsync(args[1..]),
        null or "help" or "--help" => Usage(Console.Out, 0),
        var verb => throw new UsageException($"Unknown command '{verb}'."),
    };
}
catch (UsageException e)
{
    Console.Error.WriteLine($"deviceagent: {e.Message}");
    return Usage(Console.Error, 2);
}
catch (Exception e) when (e is VaultException or IOException or UnauthorizedAccessException or FormatException or InvalidDataException or Microsoft.Data.Sqlite.SqliteException)
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
    writer.WriteLine("usage: deviceagent ingest <volume> --data DIR [--json]");
    return code;
}
