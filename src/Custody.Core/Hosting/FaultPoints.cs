namespace EvidenceVault.Custody.Hosting;

/// <summary>
/// Deterministic crash points for the fault tests: with <c>EVIDENCEVAULT_FAULT=name:n</c> the
/// process kills itself (SIGKILL: no finally blocks, no flush) the n-th time it reaches the named
/// point. With <c>name:n:pause</c> it instead creates the file <c>EVIDENCEVAULT_FAULT_FILE</c> and waits
/// until the test deletes it, so a test can change the world at exactly that point (a camera file
/// swapped between listing and reading). Unset, a point costs one field read. Points:
/// vault-key-written, catalog-created, mid-copy, object-stored, entry-appended, checkpoint-signed, camera-listed, camera-file-read.
/// </summary>
public static class FaultPoints
{
    private static readonly (string Name, int Count, bool Pause)? Armed = Parse(Environment.GetEnvironmentVariable("EVIDENCEVAULT_FAULT"));
    private static int _reached;

    public static void Reach(string name)
    {
        if (Armed is { } armed && armed.Name == name && Interlocked.Increment(ref _reached) == armed.Count)
        {
            if (!armed.Pause)
            {
                System.Diagnostics.Process.GetCurrentProcess().Kill();
            }

            var signal = Environment.GetEnvironmentVariable("EVIDENCEVAULT_FAULT_FILE") ?? throw new InvalidOperationException("A pause point needs EVIDENCEVAULT_FAULT_FILE.");
            File.WriteAllText(signal, name);
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (File.Exists(signal) && waited.Elapsed < TimeSpan.FromMinutes(2))
            {
                Thread.Sleep(20);
            }
        }
    }

    private static (string, int, bool)? Parse(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        var parts = value.Split(':');
        return (parts[0], parts.Length > 1 && int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 1, parts.Length > 2 && parts[2] == "pause");
    }
}
