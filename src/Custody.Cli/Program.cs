using EvidenceVault.Custody;
using EvidenceVault.Custody.Cli;
using EvidenceVault.Custody.Hosting;

// custody: the operator's command for the vault. Exit codes: 0 all holds, 1 a check failed or the
// vault cannot be read (one line on stderr), 2 the command line is wrong.
Console.OutputEncoding = System.Text.Encoding.UTF8;
#pragma warning disable RS0030 // composition root: the one place this program reads the system clock
Output.Clock = NodaTime.SystemClock.Instance;
#pragma warning restore RS0030
var verb = args.FirstOrDefault();
var rest = args.Skip(1).ToArray();
try
{
    return verb switch
    {
        "verify" => await VerifyCommand.RunAsync(rest),
        "log" => LogCommand.Run(rest),
        "proof" => ProofCommand.Run(rest),
        "key" => KeyCommand.Run(rest),
        "clips" => ClipsCommand.Run(rest),
        "interruptions" => InterruptionsCommand.Run(rest),
        "case" => await CaseCommand.RunAsync(rest),
        "deadlines" => DeadlinesCommand.Run(rest, statistics: false),
        "stats" => DeadlinesCommand.Run(rest, statistics: true),
        "calendar" => await CalendarCommand.RunAsync(rest),
        "policy" or "declare-return" or "workrecord" or "retention" => await PolicyCommand.RunAsync(verb, rest),
        "rebuild-catalog" => RebuildCatalogCommand.Run(rest),
        "export" => await ExportCommand.RunAsync(rest),
        "role" or "account" => await AccountCommand.RunAsync(verb, rest),
        "verify-export" => ExportCommand.Verify(rest),
        "database" => DatabaseCommand.Run(rest),
        null or "help" or "--help" or "-h" => Usage(Console.Out, 0),
        _ => throw new UsageException($"Unknown command '{verb}'."),
    };
}
catch (UsageException e)
{
    Console.Error.WriteLine($"custody: {e.Message}");
    return Usage(Console.Error, 2);
}
catch (FluentValidation.ValidationException e)
{
    // A refused command: each field and the rule it broke, one line each; nothing was recorded.
    foreach (var error in e.Errors)
    {
        Console.Error.WriteLine($"custody: {error.PropertyName}: {error.ErrorMessage}");
    }

    return 1;
}
catch (Exception e) when (e is VaultException or IOException or UnauthorizedAccessException or FormatException or InvalidDataException or Microsoft.Data.Sqlite.SqliteException)
{
    // An operator gets one line naming what is wrong, never a stack trace.
    Console.Error.WriteLine($"custody: {e.Message}");
    return 1;
}

static int Usage(TextWriter writer, int code)
{
    writer.WriteLine("""
        usage:
          custody verify --data DIR [--objects] [--key VERIFIER-KEY] [--json]
          custody log --data DIR [--subject X] [--json]
          custody proof --data DIR --index N [--size M] [--key KEY] [--json]
          custody clips --data DIR [--json]
          custody interruptions --data DIR [--json]
          custody case register --data DIR --number N --cause TEXT [--party P]... --by USER
          custody case action --data DIR --number N --type T --officer ID... [--place P] --start TIME --end TIME --by USER
          custody case link|unlink --data DIR --number N --clip SHA256 --reason TEXT --by USER
          custody case explain --data DIR --resumed SHA256 [--previous SHA256] --category C --text TEXT
                               --signed-by ID --signed-by ID [--document FILE] --by USER
          custody case review-speech --data DIR --resumed SHA256 --heard yes|no [--reason TEXT] --by USER
          custody case end|archive --data DIR --number N --at TIME --by USER
          custody case approve-action --data DIR --number N --index ACTION-ENTRY [--opinion TEXT] [--at TIME] --by USER
          custody policy show|set --data DIR [--profile ID --reason TEXT --by USER]
          custody declare-return --data DIR --officer ID --reason TEXT --from TIME --return TIME --by USER
          custody workrecord file --data DIR --officer ID --reason TEXT --basis TEXT [--at TIME] --by USER
          custody workrecord review --data DIR --index N [--opinion TEXT] --by USER
          custody deadlines --data DIR [--at TIME] [--json]
          custody stats --data DIR [--at TIME] [--json]
          custody calendar import --data DIR --file HOLIDAY-CN.json --source URL --reason TEXT --by USER [--json]
          custody calendar show --data DIR [--json]
          custody retention --data DIR [--json]
          custody retention record --data DIR --kind trigger|legal-hold|evidence --subject case:N|clip:SHA [--trigger T] --by USER
          custody role grant --data DIR --user ID --role ROLE --reason TEXT --by USER
          custody account issue --data DIR --id ID --kind station|person --reason TEXT --by USER [--json]
          custody account revoke --data DIR --id ID --reason TEXT --by USER
          custody export request --data DIR --case N [--clips SHA,...] --reason TEXT --by USER
          custody export approve --data DIR --request INDEX [--opinion TEXT] --by USER
          custody export --data DIR --case N [--clips SHA...] --out PATH [--reason TEXT] [--by USER]
                         [--iso] [--tsa URL] [--since-checkpoint FILE] [--json]
          custody verify-export PACKAGE [--key VERIFIER-KEY] [--tsa-cert-sha256 HEX] [--json]
          custody key --data DIR
          custody database migrate [--connection OWNER-CONNECTION] [--app-role ROLE] [--json]
          custody database migrate --data DIR [--json]
          custody rebuild-catalog --data DIR
        """);
    return code;
}
