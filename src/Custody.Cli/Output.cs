using System.Text.Json;
using System.Text.Json.Serialization;
using NodaTime;
using NodaTime.Text;

namespace EvidenceVault.Custody.Cli;

/// <summary>JSON and time formats shared by the verbs: camelCase fields, UTC times in ISO 8601.</summary>
internal static class Output
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static readonly JsonSerializerOptions JsonLine = new(Json) { WriteIndented = false };

    public static string Utc(Instant instant) => InstantPattern.ExtendedIso.Format(instant);

    /// <summary>Text for a terminal (<see cref="Hosting.TerminalText"/>); JSON output stays exact.</summary>
    public static string Printable(string text) => Hosting.TerminalText.Printable(text);

    /// <summary>The clock every command's vault reads, chosen once by Program.cs (the composition root).</summary>
    public static IClock Clock { get; set; } = null!;

    public static Vault OpenVault(Hosting.Arguments arguments) =>
        Vault.Open(arguments.Required("data"), Clock, VaultOptions.FromEnvironment());
}
