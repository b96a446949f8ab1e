using System.Diagnostics;
using System.Text.Json;

namespace EvidenceVault.Tests;

/// <summary>Runs the project's real programs and scripts as a user's script would: processes, exit codes, output.</summary>
internal static class Tools
{
    public static string RepoRoot { get; } = FindRoot();

    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public IReadOnlyList<JsonElement> JsonLines() =>
            Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
    }

    /// <summary>A .NET tool of this repository (custody, deviceagent) from the test's output folder.</summary>
    public static Result Dotnet(string tool, IEnumerable<string> args, IDictionary<string, string>? environment = null) =>
        Run("dotnet", [Path.Combine(AppContext.BaseDirectory, tool + ".dll"), .. args], environment);

    /// <summary>custody VERB [SUBVERB] --data DATA ARGS... (a second word that is not an option is the subverb).</summary>
    public static Result Custody(string data, params string[] args)
    {
        var head = args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) ? 2 : 1;
        return Dotnet("custody", [.. args[..head], "--data", data, .. args[head..]]);
    }

    /// <summary><see cref="Custody"/>, which must succeed: its output, trimmed.</summary>
    public static string CustodyOk(string data, params string[] args)
    {
        var result = Custody(data, args);
        return result.ExitCode == 0 ? result.Output.Trim() : throw new Xunit.Sdk.XunitException($"custody {string.Join(' ', args)} exited {result.ExitCode}: {result.Error}");
    }

    /// <summary><see cref="Custody"/>, which must fail: what it said (error and output).</summary>
    public static string CustodyFails(string data, params string[] args)
    {
        var result = Custody(data, args);
        return result.ExitCode != 0 ? result.Error + result.Output : throw new Xunit.Sdk.XunitException($"custody {string.Join(' ', args)} succeeded: {result.Output}");
    }

    /// <summary>A program as a deployment installs it, from <c>out/</c> (<c>./build.sh publish</c>, which <c>./build.sh test</c> runs before the tests).</summary>
    public static Result Published(string folder, string tool, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var dll = Path.Combine(RepoRoot, "out", folder, tool + ".dll");
        return File.Exists(dll)
            ? Run("dotnet", [dll, .. args], environment)
            : throw new InvalidOperationException($"{dll} is missing: run ./build.sh publish (./build.sh test does) before these tests.");
    }

    public static Result Run(string program, IEnumerable<string> args, IDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish");
        }

        return new Result(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>
    /// hardware/emulator/make-camera.sh: an emulated camera with ffmpeg-made clips, recording from
    /// 08:30:00 on <see cref="RunDates.CameraDay"/> unless the items give a --start.
    /// </summary>
    public static string MakeCamera(string root, params string[] items)
    {
        string[] start = items.Contains("--start") ? [] : ["--start", RunDates.CameraStart("08:30:00")];
        var result = Run(Path.Combine(RepoRoot, "hardware", "emulator", "make-camera.sh"), [root, .. start, .. items]);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"make-camera.sh failed: {result.Error}");
        }

        return Path.Combine(root, "volume");
    }

    /// <summary>The dotnet host running these tests, for starting tools with a stripped PATH.</summary>
    public static string DotnetHost => Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet"
        ? host
        : Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", "..", "dotnet");

    public static string EmulatorLibrary => Path.Combine(RepoRoot, "hardware", "emulator", "build", "libzfyemu.so");

    /// <summary>A TCP port free on 127.0.0.1 right now, for a server the test starts.</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until <paramref name="condition"/> holds (default: up to 10 s), failing with <paramref name="because"/>.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string because, TimeSpan? within = null)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > (within ?? TimeSpan.FromSeconds(10)))
            {
                throw new Xunit.Sdk.XunitException($"Still not true after {waited.Elapsed.TotalSeconds:F0} s: {because}");
            }

            await Task.Delay(100);
        }
    }

    public static string TempDirectory(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
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

        throw new InvalidOperationException("EvidenceVault.sln not found above the test folder.");
    }
}
