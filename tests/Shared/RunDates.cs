using System.Globalization;
using NodaTime;
using NodaTime.Text;

namespace EvidenceVault.Tests;

/// <summary>
/// The dates the tests' cameras record on, relative to the run, so that no test holds a fixed date
/// against the real clock (the suite also runs under libfaketime, years ahead). Cameras record China
/// local time (Asia/Shanghai). The camera day is nine days before the run: every clip is docked late
/// under each profile's upload deadline (at most 72 h), whatever the time of day the run starts.
/// </summary>
internal static class RunDates
{
    public static readonly DateTimeZone China = DateTimeZoneProviders.Tzdb["Asia/Shanghai"];

    /// <summary>
    /// The system clock, for tests whose real servers (S3 retention, processes started by the test)
    /// keep real time; every other test injects a FakeClock. The tests' one composition root for time.
    /// </summary>
#pragma warning disable RS0030 // composition root
    public static readonly IClock System = SystemClock.Instance;
#pragma warning restore RS0030

    /// <summary>The day the tests' cameras recorded on (their local calendar day).</summary>
    public static LocalDate CameraDay { get; } = System.GetCurrentInstant().InZone(China).Date.PlusDays(-9);

    /// <summary>yyyy-MM-dd of the camera day.</summary>
    public static string Day => LocalDatePattern.Iso.Format(CameraDay);

    /// <summary>yyyyMMdd of the camera day, as camera file names carry it.</summary>
    public static string Compact => CameraDay.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>make-camera.sh --start for a local time on the camera day ("08:30:00").</summary>
    public static string CameraStart(string localTime) => $"{Day} {localTime}";

    /// <summary>An ISO time with offset for a local time on the camera day, as the CLI takes it (--start, --end).</summary>
    public static string Local(string localTime) => $"{Day}T{localTime}+08:00";

    /// <summary>A local time ("08:30:10") on the camera day (or <paramref name="days"/> after it), in UTC as the JSON outputs write it.</summary>
    public static string Utc(string localTime, int days = 0) =>
        InstantPattern.ExtendedIso.Format(Instant(localTime, days));

    public static Instant Instant(string localTime, int days = 0) =>
        CameraDay.PlusDays(days).At(LocalTimePattern.ExtendedIso.Parse(localTime).Value).InZoneStrictly(China).ToInstant();

    /// <summary>An ISO 8601 time with its offset, as the CLI's --at takes it.</summary>
    public static string Iso(Instant instant) => OffsetDateTimePattern.ExtendedIso.Format(instant.WithOffset(Offset.FromHours(8)));

    /// <summary>When the vault's first entry of <paramref name="type"/> was written, as its ledger says (custody log).</summary>
    public static Instant FirstEntryTime(string data, string type) => InstantPattern.ExtendedIso.Parse(Tools.Dotnet("custody", ["log", "--data", data, "--json"]).JsonLines()
        .First(e => e.GetProperty("type").GetString() == type).GetProperty("time").GetString()!).Value;
}
