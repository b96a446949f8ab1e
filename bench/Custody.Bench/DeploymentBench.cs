using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Access;
using EvidenceVault.Custody.Commands;
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

    public static async Task IngestAsync(int megabytes)
    {
        using var servers = new Servers(memstoreBytes: 8L << 30);
        var camera = Path.Combine(servers.Work, "camera");
        var media = Path.Combine(camera, "DCIM", "100MEDIA");
        Directory.CreateDirectory(media);
        const int FileMegabytes = 16;
        var files = megabytes / FileMegabytes;
        var buffer = new byte[FileMegabytes << 20];
        for (var i = 0; i < files; i++)
        {
            Random.Shared.NextBytes(buffer);
            await File.WriteAllBytesAsync(Path.Combine(media, $"A1B2C3D_123456_20261123{9 + i / 60:D2}{i % 60:D2}00_{i + 1:D4}.MP4"), buffer);
        }

        Console.WriteLine($"camera: {files} clips of {FileMegabytes} MiB ({files * FileMegabytes} MiB)");
        var agent = new List<(double Seconds, long PeakRss, double Cpu, double ServerCpu)>();
        var rclone = new List<(double Seconds, double Cpu, double ServerCpu)>();
        for (var round = 0; round < 2; round++)
        {
            var environment = servers.NewDeployment();
            var before = servers.CephCpuSeconds();
            var (seconds, peak, cpu) = Run("dotnet", [Tool("DeviceAgent", "deviceagent"), "ingest", camera, "--data", Path.Combine(servers.Work, $"dock-{round}"), "--json"], environment);
            agent.Add((seconds, peak, cpu, servers.CephCpuSeconds() - before));
            var bucket = environment["EVIDENCEVAULT_S3_BUCKET"];
            before = servers.CephCpuSeconds();
            var (copy, _, copyCpu) = Run("rclone", ["copy", camera, $":s3:{bucket}/rclone-{round}", "--s3-provider", "Ceph", "--s3-endpoint", servers.Endpoint,
                "--s3-access-key-id", servers.AccessKey, "--s3-secret-access-key", servers.SecretKey, "--s3-region", "us-east-1", "--s3-force-path-style=true"], []);
            rclone.Add((copy, copyCpu, servers.CephCpuSeconds() - before));
        }

        var bytes = (double)files * FileMegabytes;
        var agentBest = agent.Min(a => a.Seconds);
        var rcloneBest = rclone.Min(r => r.Seconds);
        Console.WriteLine($"into Ceph RGW on 127.0.0.1 (memstore OSD), best of 2 rounds each, alternating:");
        Console.WriteLine($"  rclone copy (baseline, 4 transfers):              {rcloneBest,6:F2} s  {bytes / rcloneBest,7:F1} MiB/s");
        Console.WriteLine($"  deviceagent ingest (hash, verify, ledger on PG):  {agentBest,6:F2} s  {bytes / agentBest,7:F1} MiB/s  ({rcloneBest / agentBest:F2}x rclone's throughput; goal >= 1.0x)");
        Console.WriteLine($"  deviceagent peak RSS: {agent.Max(a => a.PeakRss) / (1 << 20)} MiB");
        // Client and server share this machine's cores: where the CPU went explains the figures.
        Console.WriteLine($"  CPU seconds, best round: rclone {rclone.MinBy(r => r.Seconds).Cpu:F1} + Ceph {rclone.MinBy(r => r.Seconds).ServerCpu:F1}; " +
            $"deviceagent {agent.MinBy(a => a.Seconds).Cpu:F1} + Ceph {agent.MinBy(a => a.Seconds).ServerCpu:F1} (PostgreSQL not counted)");

        // A collection station docks 8 cameras at once: the dock service's memory must stay bounded.
        var mounts = Path.Combine(servers.Work, "docked");
        for (var c = 0; c < 8; c++)
        {
            var volume = Path.Combine(mounts, $"CAM{c}", "DCIM", "100MEDIA");
            Directory.CreateDirectory(volume);
            foreach (var file in Directory.GetFiles(media).Take(8))
            {
                File.Copy(file, Path.Combine(volume, Path.GetFileName(file).Replace("A1B2C3D", $"CAM000{c}", StringComparison.Ordinal)));
            }
        }

        var eight = servers.NewDeployment();
        var (dockSeconds, dockPeak, _) = Run("dotnet", [Tool("DeviceAgent", "deviceagent"), "dock", mounts, "--data", Path.Combine(servers.Work, "dock-8"), "--once", "--parallel", "8", "--json"], eight);
        Console.WriteLine($"8 cameras docked at once (8 x {8 * FileMegabytes} MiB, deviceagent dock --parallel 8): {dockSeconds:F2} s, {8 * 8 * FileMegabytes / dockSeconds:F1} MiB/s, peak RSS {dockPeak / (1 << 20)} MiB");
    }

    public static async Task TrailAsync(int clips, int clients, int requests)
    {
        using var servers = new Servers(memstoreBytes: 1L << 30);
        var environment = servers.NewDeployment();
        var options = new VaultOptions
        {
            Station = "bench",
            Origin = environment["EVIDENCEVAULT_ORIGIN"],
            SigningKeySeed = environment["EVIDENCEVAULT_SIGNING_KEY"],
            PolicyProfile = environment["EVIDENCEVAULT_POLICY"],
            CheckpointEvery = int.MaxValue,
            Deployment = new DeploymentOptions(environment["EVIDENCEVAULT_POSTGRES"], new Custody.Storage.S3Options(servers.Endpoint, servers.AccessKey, servers.SecretKey, environment["EVIDENCEVAULT_S3_BUCKET"], 1)),
        };
        var shas = new List<string>(clips);
        var stopwatch = Stopwatch.StartNew();
        string clerkKey;
        using (var vault = Vault.Create(Path.Combine(servers.Work, "loader"), SystemClock.Instance, options))
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
            var sender = services.GetRequiredService<ISender>();
            clerkKey = (await sender.Send(new IssueAccount("clerk01", AccountKinds.Person, "admin", "bench"))).Key;
            await sender.Send(new GrantRole("clerk01", Roles.Clerk, "admin", "bench"));
        }

        Console.WriteLine($"set-up: {clips:N0} clips ({2 * clips:N0} entries) on PostgreSQL in {stopwatch.Elapsed.TotalSeconds:F1} s");
        var port = FreePort();
        using var api = Start("dotnet", [Tool("Ingest.Api", "Ingest.Api"), "--data", Path.Combine(servers.Work, "api"), "--urls", $"http://127.0.0.1:{port}"], environment);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", clerkKey);
        stopwatch.Restart();
        while (true)
        {
            try
            {
                if ((await http.GetAsync("/health")).IsSuccessStatusCode)
                {
                    break;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        Console.WriteLine($"API node up with its replica of {2 * clips:N0} entries after {stopwatch.Elapsed.TotalSeconds:F1} s");
        var random = new Random(7);
        // Warm both paths first (JIT, connection pools, thread pool), so neither pays for it in the figures.
        await LoadAsync(http, clients, requests / 4, _ => "/checkpoints/latest");
        await LoadAsync(http, clients, requests / 4, _ => $"/clips/{shas[random.Next(shas.Count)]}/trail");
        var baseline = await LoadAsync(http, clients, requests, _ => "/checkpoints/latest");
        var trail = await LoadAsync(http, clients, requests, _ => $"/clips/{shas[random.Next(shas.Count)]}/trail");
        Console.WriteLine($"{requests:N0} requests from {clients} concurrent clients (HttpClient, same machine), latency:");
        Console.WriteLine($"  GET /checkpoints/latest (baseline): p50 {baseline.P50,6:F1} ms  p99 {baseline.P99,6:F1} ms  {baseline.PerSecond,6:F0} req/s");
        Console.WriteLine($"  GET /clips/{{sha}}/trail:            p50 {trail.P50,6:F1} ms  p99 {trail.P99,6:F1} ms  {trail.PerSecond,6:F0} req/s  ({trail.P50 / baseline.P50:F2}x / {trail.P99 / baseline.P99:F2}x baseline)");
    }

    public static async Task WorkersAsync(int clips)
    {
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

    private static Process Start(string program, string[] args, Dictionary<string, string> environment)
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
        var process = Process.Start(start)!;
        // EV_BENCH_LOG=DIR keeps each program's log (to see where its time went); otherwise it is dropped.
        var log = Environment.GetEnvironmentVariable("EV_BENCH_LOG") is { } directory
            ? TextWriter.Synchronized(new StreamWriter(Path.Combine(directory, $"{Path.GetFileNameWithoutExtension(args.FirstOrDefault() ?? program)}-{process.Id}.log")) { AutoFlush = true })
            : null;
        process.OutputDataReceived += (_, line) => log?.WriteLine(line.Data);
        process.ErrorDataReceived += (_, line) => log?.WriteLine(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
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

    private static string Tool(string project, string assembly) => Path.Combine(Root, "src", project, "bin", "Release", "net10.0", assembly + ".dll");

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
        private readonly string _rgw;
        private readonly string _password;
        private readonly int _pgPort;
        private int _deployments;

        public Servers(long memstoreBytes)
        {
            Work = Path.Combine(Path.GetTempPath(), "ev-bench-deploy-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(Work);
            _pg = Path.Combine(Work, "pg");
            _rgw = Path.Combine(Work, "rgw");
            _pgPort = FreePort();
            var pg = Script("postgres.sh", ["start", _pg, _pgPort.ToString(System.Globalization.CultureInfo.InvariantCulture)], []).Split(' ');
            _password = pg[2];
            var rgwPort = FreePort();
            while (!IsFree(rgwPort + 1))
            {
                rgwPort = FreePort();
            }

            var rgw = Script("radosgw.sh", ["start", _rgw, rgwPort.ToString(System.Globalization.CultureInfo.InvariantCulture)], new() { ["EV_MEMSTORE_BYTES"] = memstoreBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) }).Split(' ');
            (Endpoint, AccessKey, SecretKey) = (rgw[0], rgw[1], rgw[2]);
        }

        public string Work { get; }

        public string Endpoint { get; }

        public string AccessKey { get; }

        public string SecretKey { get; }

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

            return new Dictionary<string, string>
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
