using System.Text.Json;
using System.Text.RegularExpressions;
using NodaTime;
using NodaTime.Text;

namespace EvidenceVault.DeviceAgent.Profiles;

/// <summary>
/// How one vendor's cameras look when docked: where clips are, how a clip's name carries the
/// device, officer and recording start, and the camera's time zone. Data, not code: adding a vendor
/// is adding a file to <c>hardware/profiles/</c>.
/// </summary>
public sealed record DeviceProfile
{
    public required string Id { get; init; }

    public string Description { get; init; } = string.Empty;

    /// <summary>The zone the camera's clock runs in (cameras in China record Asia/Shanghai local time).</summary>
    public required string TimeZone { get; init; }

    public IReadOnlyList<string> ClipExtensions { get; init; } = [];

    /// <summary>A regular expression with the named groups serial, officer, start, seq and (optional) important.</summary>
    public required string FileNamePattern { get; init; }

    /// <summary>NodaTime pattern of the start group, in camera local time.</summary>
    public required string StartFormat { get; init; }

    /// <summary>GA/T 947.2 allows about this much drift a day; a larger measured offset is flagged.</summary>
    public double ClockDriftAllowanceSecondsPerDay { get; init; } = 3;

    private Regex? _regex;
    private LocalDateTimePattern? _startPattern;

    public DateTimeZone Zone => DateTimeZoneProviders.Tzdb[TimeZone];

    /// <summary>The facts a clip's name carries, or null when it does not follow the profile.</summary>
    public ClipName? ParseName(string fileName)
    {
        _regex ??= new Regex(FileNamePattern, RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, TimeSpan.FromMilliseconds(100));
        _startPattern ??= LocalDateTimePattern.CreateWithInvariantCulture(StartFormat);
        var match = _regex.Match(fileName);
        if (!match.Success)
        {
            return null;
        }

        var start = _startPattern.Parse(match.Groups["start"].Value);
        if (!start.Success)
        {
            return null;
        }

        return new ClipName(
            match.Groups["serial"].Value,
            match.Groups["officer"].Value,
            start.Value,
            int.Parse(match.Groups["seq"].Value, System.Globalization.CultureInfo.InvariantCulture),
            match.Groups["important"].Success);
    }

    public bool IsClipExtension(string fileName) =>
        ClipExtensions.Any(e => fileName.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    public static DeviceProfile Load(string path)
    {
        try
        {
            var profile = JsonSerializer.Deserialize<DeviceProfile>(File.ReadAllText(path), new JsonSerializerOptions(JsonSerializerDefaults.Web))
                ?? throw new InvalidDataException($"{path} is empty.");
            _ = profile.Zone;
            _ = new Regex(profile.FileNamePattern);
            return profile;
        }
        catch (Exception e) when (e is JsonException or ArgumentException or NodaTime.TimeZones.DateTimeZoneNotFoundException)
        {
            throw new InvalidDataException($"Device profile {path} is invalid: {e.Message}", e);
        }
    }

    /// <summary>Profiles shipped next to the agent (copied from hardware/profiles), or from a configured folder.</summary>
    public static IReadOnlyList<DeviceProfile> LoadAll(string? directory = null)
    {
        directory ??= Environment.GetEnvironmentVariable("EVIDENCEVAULT_PROFILES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(AppContext.BaseDirectory, "profiles");
        if (!Directory.Exists(directory))
        {
            throw new InvalidDataException($"No device profiles at {directory}.");
        }

        return Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal).Select(Load).ToList();
    }
}

/// <param name="Start">Recording start in camera local time, as the camera's clock read it (uncorrected).</param>
/// <param name="Important">The camera's important-file mark (重点文件).</param>
public sealed record ClipName(string Serial, string Officer, LocalDateTime Start, int Sequence, bool Important);
