using EvidenceVault.Custody;
using EvidenceVault.Custody.Hosting;
using EvidenceVault.Custody.Interruptions;
using EvidenceVault.Worker.Jobs;
using EvidenceVault.Worker.Probe;
using NodaTime;
using Serilog;
using Serilog.Formatting.Compact;

// Ingest.Worker --data DIR [--drain] [--worker-id ID]: probes clips, finds interruptions, analyses
// resumed clips for a spoken explanation. With --drain it processes everything pending and exits
// (0, or 1 when a job had to be parked); without, it runs as a service until stopped.
Log.Logger = (Console.IsErrorRedirected
        ? new LoggerConfiguration().WriteTo.Console(new CompactJsonFormatter(), standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose)
        : new LoggerConfiguration().WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose))
    .CreateLogger();
try
{
    var arguments = Arguments.Parse(args, ["data", "worker-id"], ["drain"]);
    ClipProbe.RequireTools();
#pragma warning disable RS0030 // composition root: the one place this program reads the system clock
    IClock clock = SystemClock.Instance;
#pragma warning restore RS0030
    using var vault = Vault.Open(arguments.Required("data"), clock, VaultOptions.FromEnvironment());
    var workerId = arguments.Value("worker-id") ?? $"{Environment.MachineName}-{Environment.ProcessId}";
    var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
    AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

    var runner = new JobRunner(vault, workerId, vault.Policy.InterruptionPolicy());
    try
    {
        await runner.RunAsync(arguments.Has("drain"), stop.Token);
    }
    catch (OperationCanceledException)
    {
    }

    await vault.CheckpointAsync();
    Log.Information("Worker {WorkerId}: {Done} jobs done, {Parked} parked", workerId, runner.Done, runner.Parked);
    Console.WriteLine($"{runner.Done} jobs done, {runner.Parked} parked.");
    return runner.Parked == 0 ? 0 : 1;
}
catch (UsageException e)
{
    Console.Error.WriteLine($"Ingest.Worker: {e.Message}\nusage: Ingest.Worker --data DIR [--drain] [--worker-id ID]");
    return 2;
}
catch (Exception e) when (e is VaultException or IOException or Microsoft.Data.Sqlite.SqliteException)
{
    Console.Error.WriteLine($"Ingest.Worker: {e.Message}");
    return 1;
}
finally
{
    await Log.CloseAndFlushAsync();
}
