using System.Text.Json;
using System.Text.Json.Serialization;

namespace EvidenceVault.Custody.Ledger;

/// <summary>Payload of <see cref="EntryTypes.VaultCreated"/>: the vault's identity, fixed for its life.</summary>
public sealed record VaultCreatedPayload(string Origin, string VerifierKey, string Station);

/// <summary>
/// Payload of <see cref="EntryTypes.ClipIngested"/>: one custody fact per clip pulled from a camera.
/// The same bytes under two names are one object and two facts.
/// </summary>
public sealed record ClipIngestedPayload
{
    public required string Sha256 { get; init; }

    public required long Size { get; init; }

    /// <summary>The name on the camera, untrusted: recorded as found, never used as a path.</summary>
    public required string FileName { get; init; }

    public string? DeviceSerial { get; init; }

    public string? OfficerId { get; init; }

    public string? UnitId { get; init; }

    public string? Station { get; init; }

    public IReadOnlyList<string> Flags { get; init; } = [];
}

/// <summary>The one JSON shape of payloads: camelCase, compact, nulls omitted.</summary>
public static class PayloadJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static byte[] Serialize<T>(T payload) => JsonSerializer.SerializeToUtf8Bytes(payload, Options);

    public static T Deserialize<T>(byte[] payload) =>
        JsonSerializer.Deserialize<T>(payload, Options) ?? throw new FormatException($"Empty {typeof(T).Name} payload.");
}
