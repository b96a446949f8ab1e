using System.Diagnostics;

namespace EvidenceVault.Tests;

/// <summary>
/// A real <c>custody-witness</c> as another body installs it (<c>out/Custody.Witness</c>): its own
/// folder, a key made by <c>init</c>, serving on 127.0.0.1 at a free port until stopped or disposed.
/// Stopping and starting again keeps the folder, port and key, as a restarted service does.
/// </summary>
internal sealed class WitnessProcess : IDisposable
{
    private Process? _process;

    public WitnessProcess(string folder, string name = "procuratorate.test/witness")
    {
        Folder = folder;
        Url = new Uri($"http://127.0.0.1:{Tools.FreePort()}/");
        var init = Run("init", "--data", folder, "--name", name);
        if (init.ExitCode != 0)
        {
            throw new InvalidOperationException($"custody-witness init failed: {init.Error}");
        }

        Key = init.Output.Trim();
    }

    public string Folder { get; }

    public Uri Url { get; }

    /// <summary>The cosigner verifier key <c>init</c> printed.</summary>
    public string Key { get; }

    public static Tools.Result Run(params string[] args) => Tools.Published("Custody.Witness", "custody-witness", args);

    public void Trust(string logKey)
    {
        var trust = Run("trust", "--data", Folder, "--log-key", logKey);
        if (trust.ExitCode != 0)
        {
            throw new InvalidOperationException($"custody-witness trust failed: {trust.Error}");
        }
    }

    public WitnessProcess Start()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(Tools.RepoRoot, "out", "Custody.Witness", "custody-witness.dll"), "serve", "--data", Folder, "--urls", Url.ToString().TrimEnd('/') })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var client = new HttpClient();
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (client.GetAsync(new Uri(Url, "health")).GetAwaiter().GetResult().IsSuccessStatusCode)
                {
                    return this;
                }
            }
            catch (HttpRequestException) when (waited.Elapsed < TimeSpan.FromSeconds(30) && !_process.HasExited)
            {
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException($"custody-witness serve exited with {_process.ExitCode}");
            }

            Thread.Sleep(100);
        }
    }

    public void Stop()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    public void Dispose() => Stop();
}
