namespace EvidenceVault.Custody.Hosting;

/// <summary>
/// Deterministic crash points for the fault tests: with <c>EVIDENCEVAULT_FAULT=name:n</c> the
/// process kills itself (SIGKILL: no finally blocks, no flush) the n-th time it reaches the named
/// point. Unset, a point costs one field read. Points: vault-key-written, catalog-created, mid-copy, object-stored, entry-appended, checkpoint-signed.
/// </summary>
public static class FaultPoints
{
    private static readonly (string Name, int Count)? Armed = Parse(Environment.GetEnvironmentVariable("EVIDENCEVAULT_FAULT"));
    private static int _reached;

    public static void Reach(string name)
    {
        if (Armed is { } armed && armed.Name == name && Interlocked.Increment(ref _reached) == armed.Count)
        {
            System.Diagnostics.Process.GetCurrentProcess().Kill();
        }
    }

    private static (string, int)? Parse(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        var parts = value.Split(':');
        return (parts[0], parts.Length > 1 && int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 1);
    }
}
