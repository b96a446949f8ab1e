using MediatR;
using EvidenceVault.Custody.Access;
using EvidenceVault.Custody.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EvidenceVault.Custody.Cli;

/// <summary><c>custody copy request|approve|make</c>: a copy of recordings for a party (R8), each step ledgered.</summary>
internal static class CopyCommand
{
    public static async Task<int> RunAsync(string sub, Arguments arguments)
    {
        using var vault = Output.OpenVault(arguments);
        using var services = new ServiceCollection().AddCustody(vault).BuildServiceProvider();
        var sender = services.GetRequiredService<IMediator>();
        var by = arguments.Required("by");
        switch (sub)
        {
            case "request":
                var clips = arguments.Values("clip").SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    .Select(v => Sha256Digest.TryParseHex(v, out var digest) ? digest : throw new UsageException($"--clip takes SHA-256 values (64 hex digits), not '{v}'.")).ToList();
                Console.WriteLine($"copy request {await sender.Send(new RequestCopy(clips, arguments.Required("party"), arguments.Value("reason") ?? string.Empty, by))}");
                return 0;
            case "approve":
                Console.WriteLine($"ledger entry {await sender.Send(new ApproveCopy(Request(arguments), arguments.Value("opinion"), by))}");
                return 0;
            default:
                var target = arguments.Required("out");
                var index = await sender.Send(new MakeCopy(Request(arguments), target, by));
                Console.WriteLine($"copy made in {Path.GetFullPath(target)}: ledger entry {index}");
                return 0;
        }
    }

    private static long Request(Arguments arguments) => arguments.Long("request") ?? throw new UsageException("--request is required.");
}
