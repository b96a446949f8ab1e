using EvidenceVault.Custody.Hosting;
using EvidenceVault.Custody.Verifier;
using EvidenceVault.Witness;
using Serilog;
using System.CommandLine;
using System.Text.Json;

// custody-witness: a C2SP tlog-witness run by another body than the agency (the procuratorate, the
// court, the legal-affairs office). It cosigns a vault's checkpoint only when it is consistent with
// the last one it cosigned, so that the agency alone cannot roll back or rewrite its custody ledger.
// Exit codes: 0 done, 1 the folder or a key is wrong (one line on stderr), 2 the command line is wrong.
Console.OutputEncoding = System.Text.Encoding.UTF8;
Log.Logger = ConsoleLog.Configuration().CreateLogger();
#pragma warning disable RS0030 // composition root: the one place this program reads the system clock
NodaTime.IClock clock = NodaTime.SystemClock.Instance;
#pragma warning restore RS0030
var root = new RootCommand("custody-witness: cosigns checkpoints of the logs it trusts after checking they only grew (C2SP tlog-witness). Exit codes: 0 done, 1 the folder or a key is wrong, 2 the command line is wrong.");
CommandLine.Verb(root, "init", "Create a witness in --data: its key (mode 0600) and name; prints its cosigner verifier key.", ["data!", "name!"], a =>
{
    var key = WitnessFolder.Init(a.Required("data"), a.Required("name"));
    Console.WriteLine(key.Public.Text);
    Console.Error.WriteLine($"custody-witness: key kept at {Path.Combine(Path.GetFullPath(a.Required("data")), "witness.key")} (mode 0600); give the line above to the logs you witness and to those who verify them.");
    return Task.FromResult(0);
});
CommandLine.Verb(root, "trust", "Witness a log: add its checkpoint verifier key (custody key prints it).", ["data!", "log-key!"], a =>
{
    var folder = new WitnessFolder(a.Required("data"));
    _ = folder.Key();
    VerifierKey log;
    try
    {
        log = VerifierKey.Parse(a.Required("log-key"));
    }
    catch (FormatException e)
    {
        throw new UsageException($"--log-key: {e.Message}");
    }

    Console.WriteLine(folder.Trust(log) ? $"now witnessing {log.Name}" : $"already witnessing {log.Name}");
    return Task.FromResult(0);
});
CommandLine.Verb(root, "status", "The newest checkpoint cosigned for each log.", ["data!", "?json"], a =>
{
    var folder = new WitnessFolder(a.Required("data"));
    var key = folder.Key();
    foreach (var log in folder.TrustedLogs())
    {
        var latest = folder.Latest(log.Name) is { } text ? CosignedCheckpoint.Open(text, log, out _) : null;
        long? time = latest is null || NoteParts.Split(latest.Text) is not { } parts ? null : key.Public.Verify(parts.Body, parts.Signatures, out _);
        Console.WriteLine(a.Has("json")
            ? JsonSerializer.Serialize(new { origin = log.Name, logKey = log.Text, size = latest?.Size, root = latest is null ? null : Convert.ToBase64String(latest.Root), cosignedAt = time })
            : latest is null ? $"{log.Name}: nothing cosigned yet" : $"{log.Name}: size {latest.Size}, root {Convert.ToBase64String(latest.Root)}, cosigned at {time}");
    }

    return Task.FromResult(0);
});
CommandLine.Verb(root, "serve", "Serve POST /add-checkpoint (tlog-witness) and GET /checkpoint?origin=ORIGIN at --urls (default http://127.0.0.1:5090).", ["data!", "urls"], Serve);
CommandLine.HelpWhenBare(root);
try
{
    return await CommandLine.RunAsync(root, "custody-witness", args);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"custody-witness: {e.Message}\nSee 'custody-witness VERB --help'.");
    return 2;
}
catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or FormatException)
{
    Console.Error.WriteLine($"custody-witness: {e.Message}");
    return 1;
}
finally
{
    await Log.CloseAndFlushAsync();
}

async Task<int> Serve(Arguments arguments)
{
    var folder = new WitnessFolder(arguments.Required("data"));
    var key = folder.Key();
    using var held = folder.LockForServing();
    var witness = new AddCheckpoint(folder, key, clock);
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
    builder.WebHost.UseUrls(arguments.Value("urls") ?? "http://127.0.0.1:5090");
    builder.Logging.ClearProviders();
    builder.Services.AddSerilog();
    var app = builder.Build();
    app.MapPost("/add-checkpoint", async (HttpRequest request, CancellationToken cancellationToken) =>
    {
        // A request is a few hundred bytes: 64 KiB is far more than 63 proof lines and any signatures.
        using var reader = new StreamReader(request.Body, System.Text.Encoding.UTF8);
        var buffer = new char[65536];
        var read = await reader.ReadBlockAsync(buffer, cancellationToken);
        if (read == buffer.Length)
        {
            return Results.Text("request too large\n", statusCode: 413);
        }

        var reply = await witness.HandleAsync(new string(buffer, 0, read), cancellationToken);
        return Results.Text(reply.Body, reply.ContentType, statusCode: reply.Status);
    });
    // Not in tlog-witness (its monitoring API is still open): what this witness last cosigned for a
    // log, with the log's signature and the cosignature, so a verifier can catch a rolled-back vault.
    app.MapGet("/checkpoint", (string origin) =>
        folder.TrustedLogs().Any(k => k.Name == origin) && folder.Latest(origin) is { } latest
            ? Results.Text(latest, "text/plain; charset=utf-8")
            : Results.Text($"nothing cosigned for '{origin}'\n", statusCode: 404));
    app.MapGet("/health", () => Results.Text($"{key.Public.Text}\n"));
    Log.Information("Witness {Name} serving {Data} ({Logs} logs)", key.Public.Name, folder.Root, folder.TrustedLogs().Count);
    await app.RunAsync();
    return 0;
}
