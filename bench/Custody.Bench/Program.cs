using EvidenceVault.Bench;

// Benchmarks for docs/benchmarks.md. Each prints its figure next to a baseline measured in the
// same run on the same machine, so the ratio means something on a noisy box.
//   dotnet run -c Release --project bench/Custody.Bench -- ledger [entries-for-verify]
//   dotnet run -c Release --project bench/Custody.Bench -- interruptions [clip-records]
//   dotnet run -c Release --project bench/Custody.Bench -- deadlines [clips]
//   dotnet run -c Release --project bench/Custody.Bench -- export [clips] [MiB-each]
//   dotnet run -c Release --project bench/Custody.Bench -- probe [rounds]             (5- and 30-minute clips, made once with ffmpeg)
//   dotnet run -c Release --project bench/Custody.Bench -- deploy-ingest [MiB] [rounds] (starts PostgreSQL and Ceph RGW; rclone)
//   dotnet run -c Release --project bench/Custody.Bench -- deploy-env [MiB] [N]       (the same servers and camera, left running for profiling by hand)
//   dotnet run -c Release --project bench/Custody.Bench -- deploy-trail [clips] [clients] [requests]
//   dotnet run -c Release --project bench/Custody.Bench -- deploy-workers [clips]
//   dotnet run -c Release --project bench/Custody.Bench -- witness [clips] [rounds]   (two custody-witness processes from out/)
//   dotnet run -c Release --project bench/Custody.Bench -- search [clips] [rounds]    (R7 filters, a page of 100; EV_BENCH_SEARCH_DIR keeps the vault)
var which = args.FirstOrDefault() ?? "ledger";
switch (which)
{
    case "ledger":
        await LedgerBench.RunAsync(args.Length > 1 ? long.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000);
        break;
    case "interruptions":
        InterruptionBench.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000);
        break;
    case "deadlines":
        await DeadlineBench.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000);
        break;
    case "export":
        await ExportBench.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200,
            args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 10);
        break;
    case "probe":
        await ProbeBench.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5);
        break;
    case "deploy-ingest":
        await DeploymentBench.IngestAsync(
            args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1024,
            args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3);
        break;
    case "deploy-env":
        await DeploymentBench.EnvironmentAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1024,
            args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 10);
        break;
    case "deploy-trail":
        await DeploymentBench.TrailAsync(
            args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100_000,
            args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 200,
            args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 20_000);
        break;
    case "deploy-workers":
        await DeploymentBench.WorkersAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100);
        break;
    case "witness":
        await WitnessBench.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 300,
            args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5);
        break;
    case "search":
        await SearchBench.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000,
            args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 500);
        break;
    default:
        Console.Error.WriteLine($"unknown benchmark '{which}' (known: ledger, interruptions, deadlines, export, probe, deploy-ingest, deploy-env, deploy-trail, deploy-workers, witness, search)");
        return 2;
}

return 0;

namespace EvidenceVault.Bench
{
    /// <summary>The benchmarks' composition root for time: the one place they read the system clock.</summary>
    internal static class BenchClock
    {
#pragma warning disable RS0030 // composition root
        public static readonly NodaTime.IClock System = NodaTime.SystemClock.Instance;
#pragma warning restore RS0030
    }
}
