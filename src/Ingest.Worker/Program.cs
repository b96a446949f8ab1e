using System.CommandLine;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Hosting;
using EvidenceVault.Worker;
using EvidenceVault.Worker.Probe;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NodaTime;
using Serilog;

// Ingest.Worker --data DIR [--drain] [--worker-id ID]: probes clips, finds interruptions, analyses
// resumed clips for a spoken explanation. With --drain it processes everything pending and exits
// (0, or 1 when a job had to be parked); without, it runs as a service until stopped (SIGTERM).
Log.Logger = ConsoleLog.Configuration().CreateLogger();
var root = new RootCommand("Ingest.Worker: probes clips, finds interruptions and analyses resumed clips for a spoken explanation. Exit codes: 0 done, 1 a job was parked or the vault cannot be used, 2 the command line is wrong.");
CommandLine.Declare(root, ["data!", "worker-id", "?drain"], RunAsync);
try
{
    return await CommandLine.RunAsync(root, "Ingest.Worker", args);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"Ingest.Worker: {e.Message}\nSee 'Ingest.Worker --help'.");
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

static async Task<int> RunAsync(Arguments arguments)
{
    ClipProbe.RequireTools();
#pragma warning disable RS0030 // composition root: the one place this program reads the system clock
    IClock clock = SystemClock.Instance;
#pragma warning restore RS0030
    using var vault = Vault.Open(arguments.Required("data"), clock, VaultOptions.FromEnvironment());
    var run = new WorkerRun(arguments.Value("worker-id") ?? $"{Environment.MachineName}-{Environment.ProcessId}", arguments.Has("drain"));
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    builder.Services.AddSerilog();
    builder.Services.AddSystemd();
    builder.Services.AddSingleton(vault);
    builder.Services.AddSingleton(run);
    builder.Services.AddSingleton<WorkerService>();
    builder.Services.AddHostedService(services => services.GetRequiredService<WorkerService>());
    builder.Services.AddHostedService<WitnessOfferService>();
    using var host = builder.Build();
    var service = host.Services.GetRequiredService<WorkerService>(); // RunAsync disposes the host's services
    await host.RunAsync().ConfigureAwait(false);
    if (service.Failure is { } failure)
    {
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
    }

    var runner = service.Runner;
    Console.WriteLine($"{runner.Done} jobs done, {runner.Parked} parked.");
    return runner.Parked == 0 ? 0 : 1;
}
