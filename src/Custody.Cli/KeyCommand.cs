using EvidenceVault.Custody.Hosting;

namespace EvidenceVault.Custody.Cli;

/// <summary><c>custody key</c>: the vault's checkpoint verifier key (publish it; courts pin it) and its fingerprint.</summary>
internal static class KeyCommand
{
    public static int Run(Arguments arguments)
    {
        using var vault = Output.OpenVault(arguments);
        var key = vault.VerifierKey;
        Console.WriteLine(key.ToString());
        Console.WriteLine($"origin: {key.Name}");
        Console.WriteLine($"public key SHA-256: {key.Fingerprint}");
        return 0;
    }
}
