using MediatR;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Access;
using EvidenceVault.Custody.Export;
using EvidenceVault.Custody.Ledger;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NodaTime;

namespace EvidenceVault.Bench;

/// <summary>
/// The deployment on real servers started for the run (tests/infra: PostgreSQL, Ceph RGW with an
/// in-memory OSD on 127.0.0.1), each figure beside a baseline measured in the same run:
/// deploy-ingest (the dock into RGW vs rclone copy), deploy-trail (custody trails under 200 concurrent
/// clients vs a trivial endpoint), deploy-workers (1 vs 2 workers on PostgreSQL vs bare ffprobe).
/// </summary>
internal static class DeploymentBench
{
    private static readonly string Root = FindRoot();

    /// <summary>
    /// For profiling by hand: the servers of <see cref="IngestAsync"/>, one deployment and its camera,
    /// its settings written as a shell file; everything is stopped when standard input closes. The
    /// memstore OSD keeps every locked object in RAM at about twice its size: past about five 1 GiB
    /// runs (agent or rclone) the machine swaps its page cache and every figure slows down, then the
    /// gateway stalls; start a fresh set instead.
    /// </summary>
    public static async Task EnvironmentAsync(int megabytes, int deployments)
    {
        using var servers = new Servers(memstoreBytes: 8L << 30);
        var camera = await WriteCameraAsync(servers, megabytes);
        // Each run of the agent takes the camera into a fresh deployment (a second run would find it in custody).
        for (var n = 1; n <= deployments; n++)
        {
            var environment = servers.NewDeployment();
            await File.WriteAllLinesAsync(Path.Combine(servers.Work, $"deployment-{n}.env"), environment.Select(e => $"export {e.Key}='{e.Value}'").Append($"export EV_CAMERA='{camera}'"));
        }

        Console.WriteLine($"settings: . {Path.Combine(servers.Work, "deployment-N.env")} (N = 1..{deployments}; camera in $EV_CAMERA); press Enter or close standard input to stop the servers");
        await Console.In.ReadLineAsync();
    }

    private static async Task<string> WriteCameraAsync(Servers servers, int megabytes)
    {
        var camera = Path.Combine(servers.Work, "camera");
        var media = Path.Combine(camera, "DCIM", "100MEDIA");
        Directory.CreateDirectory(media);
        var buffer = new byte[FileMegabytes << 20];
        for (var i = 0; i < megabytes / FileMegabytes; i++)
        {
            Random.Shared.NextBytes(buffer);
            // On disk before anything is timed: the first round must not share the disk with the camera's write-back.
            await using var file = new FileStream(Path.Combine(media, $"A1B2C3D_123456_20261123{9 + i / 60:D2}{i % 60:D2}00_{i + 1:D4}.MP4"), FileMode.CreateNew);
            await file.WriteAsync(buffer);
            file.Flush(flushToDisk: true);
        }

        return camera;
    }

    private const int FileMegabytes = 16;

    public static async Task IngestAsync(int megabytes, int rounds)
    {
        _ = Tool("DeviceAgent", "deviceagent"); // published before anything is timed
        using var servers = new Servers(memstoreBytes: 3L << 30);
        var camera = await WriteCameraAsync(servers, megabytes);
        var files = megabytes / FileMegabytes;

        Console.WriteLine($"camera: {files} clips of {FileMegabytes} MiB ({files * FileMegabytes} MiB)");
        // Each run gets an empty Ceph cluster and a deployment already set up (bucket, ledger, first
        // checkpoint; RGW's pools made), as a dock finds it in service. Three ways, three runs each:
        // A the one-shot `deviceagent ingest` (a process started for the camera, timed from its start),
        // S the dock service as deployed (docs/deploy.md: started and idle, timed from the camera's
        // volume appearing under its mount root until every clip's outcome is printed), R `rclone copy`
        // (timed from its start). Each round runs all three, in an order rotated from round to round
        // (ASR, SRA, RAS, ...), so over a multiple of three rounds each takes each place in a round
        // equally often and what drift remains in the machine's speed falls on all three alike; the
        // ratio is also taken within each round, where the programs ran seconds apart.
        // One run of each first is a warm-up, printed and left out of the means: whichever program ran
        // first in a benchmark was slow (10-14 s where later runs of it took 7), rclone as well as the agent.
        var agent = new List<(double Seconds, long PeakRss, double Cpu, double ServerCpu)>();
        var service = new List<(double Seconds, long PeakRss, double Cpu, double ServerCpu)>();
        var rclone = new List<(double Seconds, double Cpu, double ServerCpu)>();
        const string WarmUp = "ASR";
        var order = string.Concat(Enumerable.Range(0, rounds).Select(r => WarmUp[(r % 3)..] + WarmUp[..(r % 3)]));
        foreach (var (kind, n) in (WarmUp + order).Select((k, i) => (k, i)))
        {
            if (n == WarmUp.Length)
            {
                Console.WriteLine($"warm-up runs (not counted): A {agent[0].Seconds:F2} s, S {service[0].Seconds:F2} s, R {rclone[0].Seconds:F2} s");
                agent.Clear();
                service.Clear();
                rclone.Clear();
            }

            servers.FreshObjectStore();
            var environment = servers.NewDeployment();
            var before = servers.CephCpuSeconds();
            switch (kind)
            {
                case 'A':
                    var (seconds, peak, cpu) = Run("dotnet", [Tool("DeviceAgent", "deviceagent"), "ingest", camera, "--data", Path.Combine(servers.Work, $"dock-a{n}"), "--json"], environment);
                    agent.Add((seconds, peak, cpu, servers.CephCpuSeconds() - before));
                    break;
                case 'S':
                    var docked = await DockServiceAsync(camera, files, Path.Combine(servers.Work, $"dock-s{n}"), environment, () => before = servers.CephCpuSeconds());
                    service.Add((docked.Seconds, docked.PeakRss, docked.CpuSeconds, servers.CephCpuSeconds() - before));
                    break;
                default:
                    var (copy, _, copyCpu) = Run("rclone", ["copy", camera, $":s3:{environment["EVIDENCEVAULT_S3_BUCKET"]}/rclone", "--s3-provider", "Ceph", "--s3-endpoint", servers.Endpoint,
                        "--s3-access-key-id", servers.AccessKey, "--s3-secret-access-key", servers.SecretKey, "--s3-region", "us-east-1", "--s3-force-path-style=true"], []);
                    rclone.Add((copy, copyCpu, servers.CephCpuSeconds() - before));
                    break;
            }
        }

        var bytes = (double)files * FileMegabytes;
        var rcloneMean = rclone.Average(r => r.Seconds);
        static string Each(IEnumerable<double> seconds) => string.Join(", ", seconds.Select(s => s.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)));
        string Line(string name, List<(double Seconds, long PeakRss, double Cpu, double ServerCpu)> runs)
        {
            var mean = runs.Average(a => a.Seconds);
            return $"  {name,-48}{mean,6:F2} s  {bytes / mean,7:F1} MiB/s  ({rcloneMean / mean:F2}x rclone's throughput; goal >= 1.0x) (runs: {Each(runs.Select(a => a.Seconds))} s; peak RSS {runs.Max(a => a.PeakRss) / (1 << 20)} MiB)";
        }

        Console.WriteLine($"into Ceph RGW on 127.0.0.1 (memstore OSD, an empty cluster for each run), {rounds} rounds in the order {string.Join(' ', order.Chunk(3).Select(c => new string(c)))}; means:");
        Console.WriteLine($"  {"rclone copy (baseline, 4 transfers):",-48}{rcloneMean,6:F2} s  {bytes / rcloneMean,7:F1} MiB/s  (runs: {Each(rclone.Select(r => r.Seconds))} s)");
        Console.WriteLine(Line("A deviceagent ingest (one-shot process):", agent));
        Console.WriteLine(Line("S deviceagent dock (the service, camera docked):", service));
        Console.WriteLine("  (both hash, verify and ledger on PostgreSQL; S excludes the service's start, which a dock PC pays at boot)");
        // Within a round the three ran back to back: the round's own ratio is free of the drift between rounds.
        string Paired(List<(double Seconds, long PeakRss, double Cpu, double ServerCpu)> runs)
        {
            var ratios = runs.Zip(rclone, (a, r) => r.Seconds / a.Seconds).ToList();
            var sorted = ratios.Order().ToList();
            var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
            return $"median {median:F2}x, {ratios.Count(x => x >= 1.0)} of {ratios.Count} rounds >= 1.0x (rounds: {string.Join(", ", ratios.Select(x => x.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))})";
        }

        Console.WriteLine($"  rclone's time / the dock's, round by round: A {Paired(agent)}");
        Console.WriteLine($"                                              S {Paired(service)}");
        // Client and server share this machine's cores: where the CPU went explains the figures.
        Console.WriteLine($"  CPU seconds, mean of the runs: rclone {rclone.Average(r => r.Cpu):F1} + Ceph {rclone.Average(r => r.ServerCpu):F1}; " +
            $"A {agent.Average(a => a.Cpu):F1} + Ceph {agent.Average(a => a.ServerCpu):F1}; S {service.Average(a => a.Cpu):F1} + Ceph {service.Average(a => a.ServerCpu):F1} (PostgreSQL not counted)");

        // A collection station docks 8 cameras at once: the dock service's memory must stay bounded.
        var mounts = Path.Combine(servers.Work, "docked");
        for (var c = 0; c < 8; c++)
        {
            var volume = Path.Combine(mounts, $"CAM{c}", "DCIM", "100MEDIA");
            Directory.CreateDirectory(volume);
            foreach (var file in Directory.GetFiles(Path.Combine(camera, "DCIM", "100MEDIA")).Take(8))
            {
                File.Copy(file, Path.Combine(volume, Path.GetFileName(file).Replace("A1B2C3D", $"CAM000{c}", StringComparison.Ordinal)));
            }
        }

        servers.FreshObjectStore();
        var eight = servers.NewDeployment();
        var (dockSeconds, dockPeak, _) = Run("dotnet", [Tool("DeviceAgent", "deviceagent"), "dock", mounts, "--data", Path.Combine(servers.Work, "dock-8"), "--once", "--parallel", "8", "--json"], eight);
        Console.WriteLine($"8 cameras docked at once (8 x {8 * FileMegabytes} MiB, deviceagent dock --parallel 8): {dockSeconds:F2} s, {8 * 8 * FileMegabytes / dockSeconds:F1} MiB/s, peak RSS {dockPeak / (1 << 20)} MiB");
    }

    public static async Task TrailAsync(int clips, int clients, int requests)
    {
        _ = Tool("DeviceAgent", "deviceagent"); // published before anything is timed
        using var servers = new Servers(memstoreBytes: 1L << 30);
        var environment = servers.NewDeployment();
        var options = Options(environment) with { CheckpointEvery = int.MaxValue };
        var shas = new List<string>(clips);
        var stopwatch = Stopwatch.StartNew();
        string clerkKey;
        using (var vault = Vault.Create(Path.Combine(servers.Work, "loader"), BenchClock.System, options))
        {
            for (var done = 0; done < clips; done += 5000)
            {
                var batch = new List<NewEntry>();
                for (var i = done; i < Math.Min(clips, done + 5000); i++)
                {
                    var sha = Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(i)));
                    shas.Add(sha);
                    var facts = new ClipFacts { FileName = $"D{i % 2000:D6}_{i}.MP4", DeviceSerial = $"D{i % 2000:D6}", OfficerId = $"{100000 + i % 700}" };
                    batch.Add(new NewEntry(EntryTypes.ClipIngested, "bench", [Subjects.Clip(Sha256Digest.ParseHex(sha)), Subjects.Device(facts.DeviceSerial)], "bench",
                        PayloadJson.Serialize(new ClipIngestedPayload { Sha256 = sha, Size = 1, Clip = facts })));
                    batch.Add(new NewEntry(EntryTypes.ClipProbed, "bench", [Subjects.Clip(Sha256Digest.ParseHex(sha))], "bench",
                        PayloadJson.Serialize(new ClipProbedPayload { Sha256 = sha, DurationSeconds = 60 })));
                }

                await vault.RecordAsync(batch);
            }

            await vault.CheckpointAsync();
            using var services = new ServiceCollection().AddCustody(vault).BuildServiceProvider();
            var sender = services.GetRequiredService<IMediator>();
            clerkKey = (await sender.Send(new IssueAccount("clerk01", AccountKinds.Person, "admin", "bench"))).Key;
            await sender.Send(new GrantRole("clerk01", Roles.Clerk, "admin", "bench"));
        }

        Console.WriteLine($"set-up: {clips:N0} clips ({2 * clips:N0} entries) on PostgreSQL in {stopwatch.Elapsed.TotalSeconds:F1} s");
        var port = FreePort();
        using var api = Start("dotnet", [Tool("Ingest.Api", "Ingest.Api"), "--data", Path.Combine(servers.Work, "api"), "--urls", $"http://127.0.0.1:{port}"], environment);
        using var stopA = new StopOnDispose(api);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", clerkKey);
        stopwatch.Restart();
        await HealthyAsync(http);

        Console.WriteLine($"API node up with its replica of {2 * clips:N0} entries after {stopwatch.Elapsed.TotalSeconds:F1} s");
        var random = new Random(7);
        if (Environment.GetEnvironmentVariable("EV_BENCH_TRAIL_B") is { Length: > 0 } other)
        {
            await TrailAbAsync(http, other, environment, servers, shas, clients, requests, random, clerkKey);
            return;
        }

        // Warm both paths first (JIT, connection pools, thread pool), so neither pays for it in the figures.
        await LoadAsync(http, clients, requests / 4, _ => "/checkpoints/latest");
        await LoadAsync(http, clients, requests / 4, _ => $"/clips/{shas[random.Next(shas.Count)]}/trail");
        var baseline = await LoadAsync(http, clients, requests, _ => "/checkpoints/latest");
        var trail = await LoadAsync(http, clients, requests, _ => $"/clips/{shas[random.Next(shas.Count)]}/trail");
        Console.WriteLine($"{requests:N0} requests from {clients} concurrent clients (HttpClient, same machine), latency:");
        Console.WriteLine($"  GET /checkpoints/latest (baseline): p50 {baseline.P50,6:F1} ms  p99 {baseline.P99,6:F1} ms  {baseline.PerSecond,6:F0} req/s");
        Console.WriteLine($"  GET /clips/{{sha}}/trail:            p50 {trail.P50,6:F1} ms  p99 {trail.P99,6:F1} ms  {trail.PerSecond,6:F0} req/s  ({trail.P50 / baseline.P50:F2}x / {trail.P99 / baseline.P99:F2}x baseline)");
    }

    /// <summary>
    /// Same-run A/B of the trail path: node A (this tree) and node B (the Ingest.Api.dll named by
    /// EV_BENCH_TRAIL_B, e.g. a build of an earlier commit) on the same PostgreSQL, loaded in turn
    /// A, B, A, B after warming both, so machine noise falls on both alike.
    /// </summary>
    private static async Task TrailAbAsync(HttpClient a, string otherDll, Dictionary<string, string> environment, Servers servers, List<string> shas, int clients, int requests, Random random, string key)
    {
        var port = FreePort();
        using var api = Start("dotnet", [otherDll, "--data", Path.Combine(servers.Work, "api-b"), "--urls", $"http://127.0.0.1:{port}"], environment);
        using var stopB = new StopOnDispose(api);
        using var b = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(5) };
        b.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        await HealthyAsync(b);

        foreach (var node in new[] { a, b })
        {
            await LoadAsync(node, clients, requests / 4, _ => $"/clips/{shas[random.Next(shas.Count)]}/trail");
        }

        Console.WriteLine($"{requests:N0} trail requests per round from {clients} concurrent clients, A = this tree, B = {otherDll}:");
        foreach (var (name, node) in new[] { ("A", a), ("B", b), ("A", a), ("B", b) })
        {
            var round = await LoadAsync(node, clients, requests, _ => $"/clips/{shas[random.Next(shas.Count)]}/trail");
            Console.WriteLine($"  {name}: p50 {round.P50,6:F1} ms  p99 {round.P99,6:F1} ms  {round.PerSecond,6:F0} req/s");
        }
    }

    private static async Task HealthyAsync(HttpClient node)
    {
        while (true)
        {
            try
            {
                if ((await node.GetAsync("/health")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }
    }

    /// <summary>An API node started for a benchmark is stopped when it ends, also when it fails.</summary>
    private sealed class StopOnDispose(Process process) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    public static async Task WorkersAsync(int clips)
    {
        _ = Tool("DeviceAgent", "deviceagent"); // published before anything is timed
        using var servers = new Servers(memstoreBytes: 1L << 30);
        var camera = Path.Combine(servers.Work, "cam");
        var made = Process.Start(new ProcessStartInfo(Path.Combine(Root, "hardware", "emulator", "make-camera.sh"), [camera, .. Enumerable.Repeat("clip:3", clips)]) { RedirectStandardOutput = true })!;
        await made.WaitForExitAsync();
        var volume = Path.Combine(camera, "volume");
        var files = Directory.GetFiles(Path.Combine(volume, "DCIM"), "*.MP4", SearchOption.AllDirectories);
        var (bare, _, _) = Run("sh", ["-c", $"for f in {string.Join(' ', files.Select(f => $"'{f}'"))}; do ffprobe -v error -show_format -show_streams -of json \"$f\" >/dev/null; done"], []);
        var rounds = new List<(int Workers, double Seconds)>();
        foreach (var workers in new[] { 1, 2, 1, 2 })
        {
            var environment = servers.NewDeployment();
            Run("dotnet", [Tool("DeviceAgent", "deviceagent"), "ingest", volume, "--data", Path.Combine(servers.Work, $"dock-{rounds.Count}"), "--json"], environment);
            var stopwatch = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(() =>
                Run("dotnet", [Tool("Ingest.Worker", "Ingest.Worker"), "--data", Path.Combine(servers.Work, $"worker-{rounds.Count}-{w}"), "--drain", "--worker-id", $"w{w}"], environment))));
            rounds.Add((workers, stopwatch.Elapsed.TotalSeconds));
        }

        var one = rounds.Where(r => r.Workers == 1).Min(r => r.Seconds);
        var two = rounds.Where(r => r.Workers == 2).Min(r => r.Seconds);
        Console.WriteLine($"{clips} clips (3 s, 320x240 h264/aac) on PostgreSQL + RGW, best of 2 rounds each:");
        Console.WriteLine($"  bare ffprobe over the same files, one after another (baseline): {bare,6:F2} s  {clips / bare,6:F1} clips/s");
        Console.WriteLine($"  1 worker (download from S3, re-hash, ffprobe, ledger on PG):    {one,6:F2} s  {clips / one,6:F1} clips/s  ({bare / one:F2}x baseline)");
        Console.WriteLine($"  2 workers on two nodes sharing the queue:                      {two,6:F2} s  {clips / two,6:F1} clips/s  ({one / two:F2}x one worker)");
    }

    private static async Task<(double P50, double P99, double PerSecond)> LoadAsync(HttpClient http, int clients, int requests, Func<int, string> path)
    {
        var latencies = new double[requests];
        var next = -1;
        var all = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var one = Stopwatch.StartNew();
                using var response = await http.GetAsync(path(i));
                await response.Content.ReadAsByteArrayAsync();
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"{path(i)}: {(int)response.StatusCode}");
                }

                latencies[i] = one.Elapsed.TotalMilliseconds;
            }
        }));
        var seconds = all.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        return (latencies[requests / 2], latencies[(int)(requests * 0.99)], requests / seconds);
    }

    private static (double Seconds, long PeakRss, double CpuSeconds) Run(string program, string[] args, Dictionary<string, string> environment)
    {
        var stopwatch = Stopwatch.StartNew();
        using var process = Start(program, args, environment);
        long peak = 0;
        double cpu = 0;
        while (!process.WaitForExit(50))
        {
            peak = Math.Max(peak, Rss(process.Id));
            cpu = Math.Max(cpu, CpuSeconds(process.Id));
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}");
        }

        return (stopwatch.Elapsed.TotalSeconds, peak, cpu);
    }

    /// <summary>User + system CPU of a process so far (/proc/PID/stat, clock ticks of 1/100 s), 0 when it is gone.</summary>
    private static double CpuSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / 100.0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static Process Start(string program, string[] args, Dictionary<string, string> environment, Action<string>? onLine = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        // rclone 1.60 cannot load AWS_CA_BUNDLE into its own HTTP transport and refuses to start;
        // the endpoint here is plain HTTP on loopback, so the bundle is irrelevant.
        start.Environment.Remove("AWS_CA_BUNDLE");
        var started = BenchClock.System.GetCurrentInstant();
        var process = Process.Start(start)!;
        // EV_BENCH_LOG=DIR keeps each program's log (to see where its time went); otherwise it is dropped.
        var log = Environment.GetEnvironmentVariable("EV_BENCH_LOG") is { } directory
            ? TextWriter.Synchronized(new StreamWriter(Path.Combine(directory, $"{Path.GetFileNameWithoutExtension(args.FirstOrDefault() ?? program)}-{process.Id}.log")) { AutoFlush = true })
            : null;
        log?.WriteLine($"# started {NodaTime.Text.InstantPattern.ExtendedIso.Format(started)}: {program} {string.Join(' ', args)}");
        process.OutputDataReceived += (_, line) => Seen(line.Data);
        process.ErrorDataReceived += (_, line) => Seen(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;

        void Seen(string? line)
        {
            log?.WriteLine(line);
            if (line is not null)
            {
                onLine?.Invoke(line);
            }
        }
    }

    /// <summary>
    /// The dock service as a dock PC runs it: started, idle (as between shifts), then the camera's volume
    /// appears under its mount root (a rename, instant like a mount); timed from then until the outcome
    /// of every clip is printed, which the service does after the camera's checkpoint is signed.
    /// </summary>
    private static async Task<(double Seconds, long PeakRss, double CpuSeconds)> DockServiceAsync(string camera, int files, string data, Dictionary<string, string> environment, Action docking)
    {
        var root = data + "-mnt";
        Directory.CreateDirectory(root);
        var watching = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var outcomes = 0;
        var failed = 0;
        using var process = Start("dotnet", [Tool("DeviceAgent", "deviceagent"), "dock", root, "--data", data, "--json"], environment, line =>
        {
            if (line.Contains("Dock service watching", StringComparison.Ordinal))
            {
                watching.TrySetResult();
            }
            else if (line.StartsWith("{\"fileName\"", StringComparison.Ordinal))
            {
                if (!line.Contains("\"status\":\"in-custody\"", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref failed);
                }

                if (Interlocked.Increment(ref outcomes) == files)
                {
                    done.TrySetResult();
                }
            }
        });
        await watching.Task.WaitAsync(TimeSpan.FromMinutes(1));
        await Task.Delay(TimeSpan.FromSeconds(2)); // idle a moment, as a service is between docks
        var volume = Path.Combine(root, "A1B2C3D");
        var cpuBefore = CpuSeconds(process.Id);
        docking();
        var stopwatch = Stopwatch.StartNew();
        Directory.Move(camera, volume);
        long peak = 0;
        while (!done.Task.IsCompleted)
        {
            peak = Math.Max(peak, Rss(process.Id));
            await Task.WhenAny(done.Task, Task.Delay(50));
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the dock service exited {process.ExitCode} before the camera was in custody");
            }
        }

        var seconds = stopwatch.Elapsed.TotalSeconds;
        var cpu = CpuSeconds(process.Id) - cpuBefore;
        Directory.Move(volume, camera);
        Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return failed == 0 && process.ExitCode == 0
            ? (seconds, peak, cpu)
            : throw new InvalidOperationException($"the dock service left {failed} clips out of custody (exit {process.ExitCode})");
    }

    private static long Rss(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>The vault settings a node of the deployment reads from <paramref name="environment"/>.</summary>
    private static VaultOptions Options(Dictionary<string, string> environment) => new()
    {
        Station = environment["EVIDENCEVAULT_STATION"],
        Origin = environment["EVIDENCEVAULT_ORIGIN"],
        SigningKeySeed = environment["EVIDENCEVAULT_SIGNING_KEY"],
        PolicyProfile = environment["EVIDENCEVAULT_POLICY"],
        Deployment = new DeploymentOptions(environment["EVIDENCEVAULT_POSTGRES"], new Custody.Storage.S3Options(
            environment["EVIDENCEVAULT_S3_ENDPOINT"], environment["EVIDENCEVAULT_S3_ACCESS_KEY"], environment["EVIDENCEVAULT_S3_SECRET_KEY"], environment["EVIDENCEVAULT_S3_BUCKET"],
            int.Parse(environment["EVIDENCEVAULT_S3_RETENTION_DAYS"], System.Globalization.CultureInfo.InvariantCulture))),
    };

    /// <summary>A program as a deployment installs it: published by <c>./build.sh publish</c> once per benchmark run, from the current sources.</summary>
    private static string Tool(string project, string assembly)
    {
        lock (PublishGate)
        {
            if (!_published)
            {
                var publish = Process.Start(new ProcessStartInfo(Path.Combine(Root, "build.sh"), ["publish"]) { RedirectStandardOutput = true })!;
                publish.StandardOutput.ReadToEnd();
                publish.WaitForExit();
                _published = publish.ExitCode == 0 ? true : throw new InvalidOperationException("./build.sh publish failed");
            }
        }

        return Path.Combine(Root, "out", project == "DeviceAgent" ? "deviceagent" : project, assembly + ".dll");
    }

    private static readonly Lock PublishGate = new();
    private static bool _published;

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EvidenceVault.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("EvidenceVault.sln not found.");
    }

    /// <summary>PostgreSQL and Ceph RGW for the run, from the test scripts, stopped at the end.</summary>
    private sealed class Servers : IDisposable
    {
        private readonly string _pg;
        private readonly string _password;
        private readonly int _pgPort;
        private readonly long _memstoreBytes;
        private string _rgw = string.Empty;
        private int _deployments;
        private int _clusters;

        public Servers(long memstoreBytes)
        {
            Work = Path.Combine(Path.GetTempPath(), "ev-bench-deploy-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(Work);
            _pg = Path.Combine(Work, "pg");
            _pgPort = FreePort();
            var pg = Script("postgres.sh", ["start", _pg, _pgPort.ToString(System.Globalization.CultureInfo.InvariantCulture)], []).Split(' ');
            _password = pg[2];
            _memstoreBytes = memstoreBytes;
            FreshObjectStore();
        }

        public string Work { get; }

        public string Endpoint { get; private set; } = string.Empty;

        public string AccessKey { get; private set; } = string.Empty;

        public string SecretKey { get; private set; } = string.Empty;

        /// <summary>
        /// Replaces the Ceph cluster with an empty one (about 15 s). The memstore OSD slows as it fills
        /// (its CPU for the same 1 GiB rose from 6.6 to 14.3 s over four runs, whoever the client), so
        /// runs compared with each other each start from the same empty cluster.
        /// </summary>
        public void FreshObjectStore()
        {
            if (_clusters > 0)
            {
                Script("radosgw.sh", ["stop", _rgw], []);
                Directory.Delete(_rgw, recursive: true);
            }

            _rgw = Path.Combine(Work, $"rgw-{++_clusters}");
            var rgwPort = FreePort();
            while (!IsFree(rgwPort + 1))
            {
                rgwPort = FreePort();
            }

            var rgw = Script("radosgw.sh", ["start", _rgw, rgwPort.ToString(System.Globalization.CultureInfo.InvariantCulture)], new() { ["EV_MEMSTORE_BYTES"] = _memstoreBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) }).Split(' ');
            (Endpoint, AccessKey, SecretKey) = (rgw[0], rgw[1], rgw[2]);
        }

        /// <summary>CPU used so far by the Ceph daemons (monitor, OSD, gateway).</summary>
        public double CephCpuSeconds() => Directory.GetFiles(Path.Combine(_rgw, "run"), "*.pid")
            .Sum(file => int.TryParse(File.ReadAllText(file).Trim(), out var pid) ? CpuSeconds(pid) : 0);

        /// <summary>A fresh database (schema by the owner role) and bucket: the settings of one deployment.</summary>
        public Dictionary<string, string> NewDeployment()
        {
            var name = $"bench_{++_deployments}";
            string Cs(string role, string database) => new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = _pgPort, Username = role, Password = _password, Database = database, MaxPoolSize = 50 }.ConnectionString;
            using (var admin = NpgsqlDataSource.Create(Cs("ev_owner", "evidencevault")))
            using (var command = admin.CreateCommand($"CREATE DATABASE {name} OWNER ev_owner"))
            {
                command.ExecuteNonQuery();
            }

            using (var owner = NpgsqlDataSource.Create(Cs("ev_owner", name)))
            {
                Custody.Catalog.PostgresSchema.Migrate(owner, "ev_app");
            }

            var environment = new Dictionary<string, string>
            {
                ["EVIDENCEVAULT_POSTGRES"] = Cs("ev_app", name),
                ["EVIDENCEVAULT_S3_ENDPOINT"] = Endpoint,
                ["EVIDENCEVAULT_S3_ACCESS_KEY"] = AccessKey,
                ["EVIDENCEVAULT_S3_SECRET_KEY"] = SecretKey,
                ["EVIDENCEVAULT_S3_BUCKET"] = $"bench-{_deployments}-{Guid.NewGuid():N}"[..30],
                ["EVIDENCEVAULT_S3_RETENTION_DAYS"] = "1",
                ["EVIDENCEVAULT_SIGNING_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                ["EVIDENCEVAULT_ORIGIN"] = "evidence.bench/deployment",
                ["EVIDENCEVAULT_POLICY"] = "hebei-street-office",
                ["EVIDENCEVAULT_STATION"] = "bench",
            };

            // Set up as an agency does before its docks arrive: the bucket with Object Lock, the
            // ledger's first entries and checkpoint (the first deployment also makes RGW create its
            // pools). A dock then finds it ready, as in service.
            Vault.OpenOrCreate(Path.Combine(Work, $"setup-{_deployments}"), BenchClock.System, Options(environment)).Dispose();
            return environment;
        }

        public void Dispose()
        {
            Script("radosgw.sh", ["stop", _rgw], []);
            Script("postgres.sh", ["stop", _pg], []);
            Directory.Delete(Work, recursive: true);
        }

        private static string Script(string name, string[] args, Dictionary<string, string> environment)
        {
            var start = new ProcessStartInfo(Path.Combine(Root, "tests", "infra", name)) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            foreach (var (key, value) in environment)
            {
                start.Environment[key] = value;
            }

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? output.Trim() : throw new InvalidOperationException($"{name} {string.Join(' ', args)}: {error}");
        }

        private static bool IsFree(int port)
        {
            try
            {
                using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                listener.Start();
                return true;
            }
            catch (System.Net.Sockets.SocketException)
            {
                return false;
            }
        }
    }
}
