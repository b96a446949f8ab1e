using System.Diagnostics;

namespace EvidenceVault.Tests;

/// <summary>
/// The real Ingest.Api process on 127.0.0.1 (a free port), ready once /health answers; killed on
/// Dispose. Tests that stop and restart it keep the same port and data.
/// </summary>
public sealed class ApiProcess : IDisposable
{
    private readonly Process _process;

    /// <param name="dll">The API to run: the test's own build by default, or one as <c>./build.sh publish</c> installs it.</param>
    public ApiProcess(string data, Uri address, IDictionary<string, string>? environment = null, string? dll = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { dll ?? Path.Combine(AppContext.BaseDirectory, "Ingest.Api.dll"), "--data", data, "--urls", address.ToString().TrimEnd('/') })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start)!;
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
            catch (HttpRequestException) when (waited.Elapsed < TimeSpan.FromSeconds(30) && !_process.HasExited)
            {
            }

            Thread.Sleep(100);
        }
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
}
