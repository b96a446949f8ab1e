using EvidenceVault.Custody.Hosting;

namespace EvidenceVault.Custody.Cli;

/// <summary>
/// <c>custody rebuild-catalog</c>: recreate the derived tables from the ledger alone (the ledger is the
/// source of truth), first listing every table that differed and how (REPLACED lines).
/// </summary>
internal static class RebuildCatalogCommand
{
    public static int Run(Arguments arguments)
    {
        using var vault = Output.OpenVault(arguments);
        // What the rebuild is about to replace, said before it is gone: a difference is a row no entry made, or one edited.
        foreach (var difference in Verification.DerivedState.Compare(vault, []))
        {
            Console.WriteLine(Output.Printable("REPLACED: " + difference));
        }

        var problems = new List<string>();
        var replayed = vault.RebuildCatalog(problems);
        foreach (var problem in problems)
        {
            Console.WriteLine(Output.Printable("NOT REPLAYED: " + problem));
        }

        Console.WriteLine($"catalog rebuilt from {replayed - problems.Count} of {replayed} ledger entries{(problems.Count > 0 ? "; run custody verify" : ".")}");
        return problems.Count == 0 ? 0 : 1;
    }
}
