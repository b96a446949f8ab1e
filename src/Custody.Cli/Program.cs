using EvidenceVault.Custody;
using EvidenceVault.Custody.Cli;
using EvidenceVault.Custody.Hosting;
using System.CommandLine;

// custody: the operator's command for the vault. Exit codes: 0 all holds, 1 a check failed or the
// vault cannot be read (one line on stderr), 2 the command line is wrong.
Console.OutputEncoding = System.Text.Encoding.UTF8;
#pragma warning disable RS0030 // composition root: the one place this program reads the system clock
Output.Clock = NodaTime.SystemClock.Instance;
#pragma warning restore RS0030
var root = new RootCommand("custody: the operator's command for the vault. Exit codes: 0 all holds, 1 a check failed or the vault cannot be read (one line on stderr), 2 the command line is wrong.");
Verbs(root);
try
{
    return await CommandLine.RunAsync(root, "custody", args);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"custody: {e.Message}");
    Console.Error.WriteLine("See 'custody VERB --help'.");
    return 2;
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

// Every verb with exactly the options it reads (README "Commands"); names, flags and exit codes are contracts.
static void Verbs(RootCommand root)
{
    static Func<Arguments, Task<int>> Sync(Func<Arguments, int> run) => a => Task.FromResult(run(a));
    const string Data = "data!";
    CommandLine.Verb(root, "verify", "Check every entry, seal, tree node and checkpoint; with --objects re-hash every original; with --witness-key ask that witness what it cosigned (rollback, fork, rewrite). Exit 0 only if all holds.", [Data, "?objects", "key", "witness-key*", "witness-url", "?json"], VerifyCommand.RunAsync);
    CommandLine.Verb(root, "witness add", "Offer every new checkpoint to a witness outside the agency (its URL and cosigner key).", [Data, "url!", "key!", "reason!", "by!"], a => WitnessCommand.RunAsync("add", a));
    CommandLine.Verb(root, "witness remove", "Stop offering checkpoints to a witness.", [Data, "key!", "reason!", "by!"], a => WitnessCommand.RunAsync("remove", a));
    CommandLine.Verb(root, "witness status", "What each witness last cosigned.", [Data, "?json"], a => WitnessCommand.RunAsync("status", a));
    CommandLine.Verb(root, "witness sync", "Offer the newest checkpoint to every witness now; exit 1 when one is still behind.", [Data, "?json"], a => WitnessCommand.RunAsync("sync", a));
    CommandLine.Verb(root, "log", "The custody trail, whole or about one subject (clip:SHA256, SHA256, device:SERIAL).", [Data, "subject", "?json"], Sync(LogCommand.Run));
    CommandLine.Verb(root, "proof", "Inclusion proof of entry --index against the newest (or --size) signed checkpoint.", [Data, "index#", "size#", "key", "?json"], Sync(ProofCommand.Run));
    CommandLine.Verb(root, "clips", "The clips in custody with their probe result and flags; R7 filters (each given must hold; --unit takes the units below it too) and paging (--limit, --after ENTRY: ledger order).", [Data, "device", "officer", "from", "to", "case", "party", "cause", "unit", "after#", "limit#", "?json"], Sync(ClipsCommand.Run));
    CommandLine.Verb(root, "interruptions", "R3/R4 gaps with their spoken or written explanation.", [Data, "?json"], Sync(InterruptionsCommand.Run));
    CommandLine.Verb(root, "case register", "Register a case.", [Data, "number!", "cause!", "party*", "reason", "by!"], a => CaseCommand.RunAsync("register", a));
    CommandLine.Verb(root, "case action", "Record an enforcement action of a case.", [Data, "number!", "type!", "officer*", "place", "start!", "end!", "reason", "?emergency", "by!"], a => CaseCommand.RunAsync("action", a));
    CommandLine.Verb(root, "case link", "Link a clip to a case.", [Data, "number!", "clip!", "reason", "by!"], a => CaseCommand.RunAsync("link", a));
    CommandLine.Verb(root, "case unlink", "Unlink a clip from a case.", [Data, "number!", "clip!", "reason", "by!"], a => CaseCommand.RunAsync("unlink", a));
    CommandLine.Verb(root, "case explain", "Attach a written explanation of an interruption, signed by officers (R3).", [Data, "resumed!", "previous", "category!", "text!", "signed-by*", "document", "by!"], a => CaseCommand.RunAsync("explain", a));
    CommandLine.Verb(root, "case review-speech", "Confirm or reject the spoken explanation heard on resuming (R3).", [Data, "resumed!", "heard!", "reason", "by!"], a => CaseCommand.RunAsync("review-speech", a));
    CommandLine.Verb(root, "case end", "Record that a case's matter ended.", [Data, "number!", "at!", "by!"], a => CaseCommand.RunAsync("end", a));
    CommandLine.Verb(root, "case archive", "Record that a case was archived.", [Data, "number!", "at!", "by!"], a => CaseCommand.RunAsync("archive", a));
    CommandLine.Verb(root, "case transfer", "Hand a case to another body (R18, 000 §23): its approved export package, a CaseTransferred entry and a transfer record beside the package; the case then takes nothing more here.", [Data, "number!", "to!", "receiver", "out!", "reason!", "by!", "?json"], a => CaseCommand.RunAsync("transfer", a));
    CommandLine.Verb(root, "case approve-action", "Approve an enforcement action (by its ledger entry).", [Data, "number!", "index#", "opinion", "at", "by!"], a => CaseCommand.RunAsync("approve-action", a));
    CommandLine.Verb(root, "policy show", "The active policy profile.", [Data, "?json"], a => PolicyCommand.RunAsync("policy", "show", a));
    CommandLine.Verb(root, "policy set", "Select the agency's policy profile.", [Data, "profile!", "reason", "by!"], a => PolicyCommand.RunAsync("policy", "set", a));
    CommandLine.Verb(root, "declare-return", "Declare an officer's remote enforcement and return (R1 after-return exception).", [Data, "officer!", "reason!", "from!", "return!", "by!"], a => PolicyCommand.RunAsync("declare-return", null, a));
    CommandLine.Verb(root, "workrecord file", "File a work record for an officer.", [Data, "officer!", "reason!", "basis!", "at", "by!"], a => PolicyCommand.RunAsync("workrecord", "file", a));
    CommandLine.Verb(root, "workrecord review", "Review a work record (by its ledger entry).", [Data, "index#", "opinion", "by!"], a => PolicyCommand.RunAsync("workrecord", "review", a));
    CommandLine.Verb(root, "deadlines", "Late uploads and open explanations as of --at (default now).", [Data, "at", "?json"], Sync(a => DeadlinesCommand.Run(a, statistics: false)));
    CommandLine.Verb(root, "stats", "Statistics of the deadline monitor (R17) as of --at.", [Data, "at", "?json"], Sync(a => DeadlinesCommand.Run(a, statistics: true)));
    CommandLine.Verb(root, "calendar import", "Import a year of China's official holidays (HOLIDAY-CN.json).", [Data, "file!", "source", "reason", "by!", "?json"], a => CalendarCommand.RunAsync("import", a));
    CommandLine.Verb(root, "calendar show", "The working-day calendar in force.", [Data, "?json"], a => CalendarCommand.RunAsync("show", a));
    CommandLine.Verb(root, "retention", "Each original's retention class and why (R6).", [Data, "?json"], a => PolicyCommand.RunAsync("retention", null, a));
    CommandLine.Verb(root, "retention record", "Record a retention trigger, legal hold or evidence fact.", [Data, "kind!", "subject!", "trigger", "note", "by!"], a => PolicyCommand.RunAsync("retention", "record", a));
    CommandLine.Verb(root, "role grant", "Grant a user a role.", [Data, "user!", "role!", "reason", "by!"], a => AccountCommand.RunAsync("role", "grant", a));
    CommandLine.Verb(root, "account issue", "Issue an API key for a station or a person (shown once).", [Data, "id!", "kind!", "reason", "by!", "?json"], a => AccountCommand.RunAsync("account", "issue", a));
    CommandLine.Verb(root, "copy request", "Ask for a copy of clips for a party (R8), saying why.", [Data, "clip*", "party!", "reason", "by!"], a => CopyCommand.RunAsync("request", a));
    CommandLine.Verb(root, "copy approve", "Approve a copy request: the profile's copy approver, never the requester (R8).", [Data, "request#", "opinion", "by!"], a => CopyCommand.RunAsync("approve", a));
    CommandLine.Verb(root, "copy make", "Make an approved copy into a new folder from verified originals; ledgered with viewer, copier, approver, time and reason (004 §32).", [Data, "request#", "out!", "by!"], a => CopyCommand.RunAsync("make", a));
    CommandLine.Verb(root, "device register", "Put a camera on the register (R15): serial, model, unit, responsible administrator.", [Data, "serial!", "model!", "unit!", "administrator!", "reason", "by!"], a => DeviceCommand.RunAsync("register", a));
    CommandLine.Verb(root, "device assign", "Hand a registered camera to an officer.", [Data, "serial!", "officer!", "reason", "by!"], a => DeviceCommand.RunAsync("assign", a));
    CommandLine.Verb(root, "device fault", "Report a camera's fault (R15): it stays faulty until a repair record closes it.", [Data, "serial!", "fault!", "by!"], a => DeviceCommand.RunAsync("fault", a));
    CommandLine.Verb(root, "device repair", "A repair record: --started sends the camera for repair; without it the repair is done and closes its open faults.", [Data, "serial!", "record!", "?started", "by!"], a => DeviceCommand.RunAsync("repair", a));
    CommandLine.Verb(root, "device retire", "Take a camera out of service for good.", [Data, "serial!", "reason", "by!"], a => DeviceCommand.RunAsync("retire", a));
    CommandLine.Verb(root, "device list", "The camera register (台账) with status, open faults, docking history and the R15 'not docked' finding as of --at.", [Data, "at", "?json"], a => DeviceCommand.RunAsync("list", a));
    CommandLine.Verb(root, "review", "Review a copy or export request before its approval, where the profile asks for it (R16: 001 §13, 003 §38): a holder of its reviewer role, neither the requester nor the approver.", [Data, "request#", "opinion!", "by!"], a => UnitCommand.ReviewAsync(a));
    CommandLine.Verb(root, "inbox", "What awaits this person's decision (copies, exports, work records, emergency actions: R16) and what they asked for that awaits someone else's.", [Data, "user!", "?json"], Sync(InboxCommand.Run));
    CommandLine.Verb(root, "unit create", "Add a unit to the agency's tree (R8, 004 §28), under --parent or directly under the agency.", [Data, "id!", "name!", "parent", "reason", "by!"], a => UnitCommand.RunAsync("unit", "create", a));
    CommandLine.Verb(root, "unit assign", "Place a person in a unit: what they may see follows it, and clips they dock from now on belong to it.", [Data, "user!", "unit!", "reason", "by!"], a => UnitCommand.RunAsync("unit", "assign", a));
    CommandLine.Verb(root, "unit list", "The tree of units and who belongs where.", [Data, "?json"], a => UnitCommand.RunAsync("unit", "list", a));
    CommandLine.Verb(root, "label set", "Label a clip or a case state-secret, trade-secret or personal-privacy (R10): only holders of clearance:LABEL see it; by a supervisor over it.", [Data, "clip", "case", "label!", "reason", "by!"], a => UnitCommand.RunAsync("label", "set", a));
    CommandLine.Verb(root, "label clear", "Clear a label, with a reason, by a cleared supervisor over it.", [Data, "clip", "case", "label!", "reason", "by!"], a => UnitCommand.RunAsync("label", "clear", a));
    CommandLine.Verb(root, "label list", "Every labelled clip and case.", [Data, "?json"], a => UnitCommand.RunAsync("label", "list", a));
    CommandLine.Verb(root, "role revoke", "Withdraw a role from a user (only a role held now).", [Data, "user!", "role!", "reason", "by!"], a => AccountCommand.RunAsync("role", "revoke", a));
    CommandLine.Verb(root, "account revoke", "Revoke every key of one account (--kind station|person when the id is both); a person's roles go with it.", [Data, "id!", "kind", "reason", "by!"], a => AccountCommand.RunAsync("account", "revoke", a));
    CommandLine.Verb(root, "export", "Write a certified court export of a case (R8, R9) and verify it as a court will.", [Data, "case!", "clips*", "out!", "reason", "by", "?iso", "tsa", "since-checkpoint", "?json"], a => ExportCommand.RunAsync(null, a));
    CommandLine.Verb(root, "export request", "Request an export of a case for approval.", [Data, "case!", "clips*", "reason", "by!"], a => ExportCommand.RunAsync("request", a));
    CommandLine.Verb(root, "export approve", "Approve an export request (by its ledger entry).", [Data, "request#", "opinion", "by!"], a => ExportCommand.RunAsync("approve", a));
    CommandLine.Verb(root, "verify-export", "Verify a court export offline: exit 0 all holds with the pinned key (and, with --witness-key, a quorum of pinned witnesses cosigned it), 3 holds but no key pinned, 1 a check fails.", ["key", "tsa-cert-sha256", "witness-key*", "witness-quorum#", "?json"], Sync(ExportCommand.Verify), positional: "PACKAGE");
    CommandLine.Verb(root, "key", "The vault's checkpoint verifier key and its fingerprint.", [Data], Sync(KeyCommand.Run));
    CommandLine.Verb(root, "rebuild-catalog", "Recreate the derived tables from the ledger, listing what differed.", [Data], Sync(RebuildCatalogCommand.Run));
    CommandLine.Verb(root, "database migrate", "Create or upgrade the PostgreSQL schema as its owner (--connection or EVIDENCEVAULT_POSTGRES_OWNER), or open an embedded vault (--data); prints the schema version.", ["connection", "app-role", "data", "?json"], Sync(DatabaseCommand.Run));
    CommandLine.HelpWhenBare(root);
}
