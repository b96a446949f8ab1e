using System.Diagnostics;

namespace EvidenceVault.Tests;

/// <summary>
/// The real Ingest.Api process on 127.0.0.1 (a free port), ready once /health answers; killed on
/// Dispose. Tests that stop and restart it keep the same port and data.
/// </summary>
public sealed class ApiProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();

    /// <param name="dll">The API to run: the test's own build by default, or one as <c>./build.sh publish</c> installs it.</param>
    /// <param name="arguments">More of the API's command line (e.g. <c>--max-uploads 4</c>).</param>
    public ApiProcess(string data, Uri address, IDictionary<string, string>? environment = null, string? dll = null, IEnumerable<string>? arguments = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { dll ?? Path.Combine(AppContext.BaseDirectory, "Ingest.Api.dll"), "--data", data, "--urls", address.ToString().TrimEnd('/') }.Concat(arguments ?? []))
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, line) => Keep(line.Data);
        _process.ErrorDataReceived += (_, line) => Keep(line.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var client = new HttpClient { BaseAddress = address };
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (client.GetAsync("/health").GetAwaiter().GetResult().IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            // A server that never comes up is stopped here, not left running behind a failed test.
            if (waited.Elapsed > TimeSpan.FromSeconds(30) || _process.HasExited)
            {
                Dispose();
                throw new InvalidOperationException($"Ingest.Api did not become healthy on {address}:\n{Output}");
            }

            Thread.Sleep(100);
        }
    }

    public int Pid => _process.Id;

    /// <summary>What the server has logged so far (standard output and error).</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>The server's resident memory now, from /proc.</summary>
    public long ResidentBytes()
    {
        var line = File.ReadLines($"/proc/{Pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is not null && _output.Count < 20_000)
        {
            _output.Enqueue(line);
        }
    }
}
