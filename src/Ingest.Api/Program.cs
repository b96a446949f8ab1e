using EvidenceVault.Api;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Access;
using EvidenceVault.Custody.Hosting;
using Microsoft.AspNetCore.Authentication;
using NodaTime;
using Serilog;
using System.CommandLine;

// Ingest.Api: between docks, people and the vault. Ingest.Api --data DIR [--urls http://127.0.0.1:5080]
Log.Logger = ConsoleLog.Configuration().CreateLogger();
var root = new RootCommand("Ingest.Api: between docks, people and the vault. Exit codes: 1 the vault cannot be used, 2 the command line is wrong.");
Arguments? arguments = null;
CommandLine.Declare(root, ["data!", "urls", "max-uploads#", "upload-idle-seconds#"], given =>
{
    arguments = given;
    return Task.FromResult(0);
});
var parseCode = await CommandLine.RunAsync(root, "Ingest.Api", args);
if (arguments is null)
{
    return parseCode; // --help, or a wrong command line (2)
}

Uploads uploads;
try
{
    arguments.Required("data");
    // Docs/deploy.md §4: the memory a burst of stalled uploads may pin is max-uploads × 256 KiB.
    var maxUploads = arguments.Long("max-uploads") ?? 64;
    var idleSeconds = arguments.Long("upload-idle-seconds") ?? 60;
    if (maxUploads is < 1 or > 10_000 || idleSeconds is < 1 or > 3600)
    {
        throw new UsageException("--max-uploads is 1 to 10000 and --upload-idle-seconds 1 to 3600.");
    }

    uploads = new Uploads((int)maxUploads, TimeSpan.FromSeconds(idleSeconds));
}
catch (UsageException e)
{
    Console.Error.WriteLine($"Ingest.Api: {e.Message}\nSee 'Ingest.Api --help'.");
    return 2;
}

#pragma warning disable RS0030 // composition root: the one place this program reads the system clock
NodaTime.IClock clock = NodaTime.SystemClock.Instance;
#pragma warning restore RS0030
Vault vault;
try
{
    vault = Vault.OpenOrCreate(arguments.Required("data"), clock, VaultOptions.FromEnvironment());
    if (vault.CreatedNow)
    {
        Console.Error.WriteLine($"Ingest.Api: set up a NEW vault at {vault.DataDirectory} (public key SHA-256 {vault.VerifierKey.Fingerprint}); its signing key is kept at {vault.SigningKeyLocation}, outside the data folder: back it up apart from the vault.");
    }
}
catch (Exception e) when (e is VaultException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"Ingest.Api: {e.Message}");
    return 1;
}

// Handlers read the catalog synchronously (SQLite): start with enough pool threads for a busy
// station instead of waiting for the pool to grow one thread at a time under a burst of clients.
ThreadPool.GetMinThreads(out var workers, out var completion);
ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(completion, 64));
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
builder.WebHost.UseUrls(arguments.Value("urls") ?? "http://127.0.0.1:5080");
// JSON bodies are small: 1 MiB at most (a 413 problem beyond). Originals can be gigabytes: their
// upload endpoint lifts the limit and streams them, the store hashing as it writes.
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 1 << 20);
builder.Services.AddSingleton(uploads);
builder.Services.AddHostedService<RefusalSummaries>();
// Every error is a problem document: the framework's own answers (404, 405, 415) get one too, and a
// binding failure (malformed JSON, a missing body) reaches ErrorResponses as an exception with its reason.
builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = ErrorResponses.Describe);
builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
builder.Logging.ClearProviders();
builder.Services.AddSerilog();
builder.Services.AddCustody(vault);
builder.Services.AddSingleton<AccountDirectory>();
builder.Services.AddAuthentication(ApiKeyAuthentication.SchemeName).AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
builder.Services.AddAuthorizationBuilder()
    .AddPolicy(Policies.Station, p => p.RequireClaim(ApiKeyAuthentication.KindClaim, AccountKinds.Station))
    .AddPolicy(Policies.Person, p => p.RequireClaim(ApiKeyAuthentication.KindClaim, AccountKinds.Person))
    .AddPolicy(Policies.Reader, p => p.RequireRole(Roles.Officer, Roles.Clerk, Roles.Supervisor, Roles.Auditor))
    .AddPolicy(Policies.Viewer, p => p.RequireRole(Roles.Clerk, Roles.Supervisor))
    .AddPolicy(Policies.Explainer, p => p.RequireAssertion(c => c.User.HasClaim(ApiKeyAuthentication.KindClaim, AccountKinds.Station) ||
        c.User.IsInRole(Roles.Officer) || c.User.IsInRole(Roles.Clerk) || c.User.IsInRole(Roles.Supervisor)));
builder.Services.AddOpenApi();

await using var app = builder.Build();
app.UseMiddleware<ErrorResponses>();
app.UseStatusCodePages();
// A deployment node reads its replica of the central ledger: bring it up to date before a request,
// at most every 100 ms and never with two requests waiting on the same round trip; a write through
// this node syncs at once (Vault.RecordAsync), so a caller always sees its own facts.
app.Use(async (context, next) =>
{
    vault.SyncIfStale(NodaTime.Duration.FromMilliseconds(100));
    await next(context);
});
app.UseAuthentication();
app.UseAuthorization();
app.MapOpenApi();
app.MapHealthEndpoints();
app.MapDockEndpoints();
app.MapQueryEndpoints();
app.MapInboxEndpoint();
app.MapViewEndpoints();
Log.Information("Ingest.Api serving vault {Data} ({Origin}) on {Urls}", vault.DataDirectory, vault.VerifierKey.Name, arguments.Value("urls") ?? "http://127.0.0.1:5080");
try
{
    await app.RunAsync();
}
finally
{
    vault.Dispose();
    await Log.CloseAndFlushAsync();
}

return 0;
