using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace EvidenceVault.Custody.Hosting;

/// <summary>
/// The programs' console log, on stderr (stdout carries their output): human-readable lines on a
/// terminal, compact JSON (one event per line, for journald and log shippers) when stderr is
/// redirected, or when <c>EVIDENCEVAULT_LOG_FORMAT</c> says <c>json</c> or <c>text</c>.
/// </summary>
public static class ConsoleLog
{
    public const string FormatVariable = "EVIDENCEVAULT_LOG_FORMAT";

    public static LoggerConfiguration Configuration(LogEventLevel minimum = LogEventLevel.Information)
    {
        var json = Environment.GetEnvironmentVariable(FormatVariable)?.Trim().ToLowerInvariant() switch
        {
            "json" => true,
            "text" => false,
            _ => Console.IsErrorRedirected,
        };
        // The framework's own chatter (a line per HTTP request, host start-up) only when it matters.
        var configuration = new LoggerConfiguration().MinimumLevel.Is(minimum)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("System", LogEventLevel.Warning);
        return json
            ? configuration.WriteTo.Console(new CompactJsonFormatter(), standardErrorFromLevel: LogEventLevel.Verbose)
            : configuration.WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose);
    }
}
