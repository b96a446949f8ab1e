using System.Text.Json;
using System.Text.Json.Serialization;

namespace EvidenceVault.Custody.Ledger;

/// <summary>Payload of <see cref="EntryTypes.VaultCreated"/>: the vault's identity, fixed for its life.</summary>
public sealed record VaultCreatedPayload(string Origin, string VerifierKey, string Station);

/// <summary>
/// What the dock knows about a clip before its bytes are read: who recorded it, on which camera,
/// and when by the camera's clock. Names and times from a camera are untrusted and kept verbatim.
/// </summary>
public sealed record ClipFacts
{
    /// <summary>The name on the camera, relative to its volume: recorded as found, never used as a path.</summary>
    public required string FileName { get; init; }

    public string? DeviceSerial { get; init; }

    /// <summary>The officer's 警号.</summary>
    public string? OfficerId { get; init; }

    public string? OfficerName { get; init; }

    public string? UnitId { get; init; }

    public string? UnitName { get; init; }

    /// <summary>Recording start as the camera's clock read it, camera local time (ISO, no offset).</summary>
    public string? RecordedStartLocal { get; init; }

    /// <summary>The camera's time zone (TZDB id), e.g. Asia/Shanghai.</summary>
    public string? TimeZone { get; init; }

    /// <summary>Camera clock minus dock clock when docked, in seconds, measured before the clock was synced.</summary>
    public double? ClockOffsetSeconds { get; init; }

    /// <summary>Recording start corrected by the clock offset, UTC (ISO 8601).</summary>
    public string? RecordedStart { get; init; }

    public int? Sequence { get; init; }

    /// <summary>The file's size on the camera when it was listed; differs from the stored size if it changed while read.</summary>
    public long? SizeOnCamera { get; init; }

    /// <summary>The camera's important-file mark (重点文件).</summary>
    public bool Important { get; init; }

    /// <summary>Why a clerk should look: unparsed-name, empty, changed-while-read, serial-mismatch, clock-offset-exceeds-allowance.</summary>
    public IReadOnlyList<string> Flags { get; init; } = [];
}

/// <summary>
/// Payload of <see cref="EntryTypes.ClipIngested"/>: one custody fact per clip pulled from a camera.
/// The same bytes under two names are one object and two facts.
/// </summary>
public sealed record ClipIngestedPayload
{
    public required string Sha256 { get; init; }

    public required long Size { get; init; }

    /// <summary>The dock station that pulled it.</summary>
    public string? Station { get; init; }

    public required ClipFacts Clip { get; init; }
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
