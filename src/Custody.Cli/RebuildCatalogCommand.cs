using EvidenceVault.Custody.Hosting;

namespace EvidenceVault.Custody.Cli;

/// <summary><c>custody rebuild-catalog</c>: recreate the clip tables from the ledger alone (the ledger is the source of truth).</summary>
internal static class RebuildCatalogCommand
{
    public static int Run(string[] args)
    {
        var arguments = Arguments.Parse(args, ["data"], []);
        using var vault = Output.OpenVault(arguments);
        var replayed = vault.RebuildCatalog();
        Console.WriteLine($"catalog rebuilt from {replayed} ledger entries.");
        return 0;
    }
}
