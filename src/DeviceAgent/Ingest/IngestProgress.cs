using System.Collections.Concurrent;
using System.Diagnostics;
using Serilog;

namespace EvidenceVault.DeviceAgent.Ingest;

/// <summary>
/// Progress per camera and overall: files, bytes, MB/s and time left, as Serilog structured events
/// (one per finished clip and camera, and at most one a few seconds per camera while bytes flow).
/// Thread-safe: several cameras report at once.
/// </summary>
public class IngestProgress
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, CameraState> _cameras = new(StringComparer.Ordinal);
    private long _totalBytes;
    private long _doneBytes;
    private readonly Stopwatch _overall = Stopwatch.StartNew();

    public virtual void CameraStarted(DockedCamera camera, int files, long bytes)
    {
        _cameras[camera.Volume] = new CameraState(files, bytes);
        Interlocked.Add(ref _totalBytes, bytes);
        Log.Information("{Camera} docked ({Connector}): {Files} files, {Bytes} bytes to check", Name(camera), camera.Connector, files, bytes);
    }

    public virtual void BytesRead(DockedCamera camera, int bytes)
    {
        Interlocked.Add(ref _doneBytes, bytes);
        if (_cameras.TryGetValue(camera.Volume, out var state) && state.Tick(bytes, Interval))
        {
            Log.Information("{Camera}: {DoneBytes}/{TotalBytes} bytes, {MegabytesPerSecond:F1} MB/s, about {SecondsLeft:F0} s left (all docks: {AllDone}/{AllTotal} bytes)",
                Name(camera), state.Bytes, state.TotalBytes, state.MegabytesPerSecond, state.SecondsLeft, Interlocked.Read(ref _doneBytes), Interlocked.Read(ref _totalBytes));
        }
    }

    public virtual void ClipFinished(DockedCamera camera, ClipOutcome outcome)
    {
        if (_cameras.TryGetValue(camera.Volume, out var state))
        {
            Interlocked.Increment(ref state.FilesDone);
            if (outcome.BytesRead == 0 && outcome.Size is { } size)
            {
                // Already in custody: nothing read, but the work is done.
                Interlocked.Add(ref _doneBytes, size);
                state.Tick(size, TimeSpan.MaxValue);
            }
        }
    }

    public virtual void CameraFinished(DockedCamera camera, IReadOnlyList<ClipOutcome> outcomes)
    {
        var failed = outcomes.Count(o => !o.Custodied);
        Log.Information("{Camera} done: {InCustody} of {Files} files in custody ({New} new, {Known} read again and already in custody), {Failed} not taken; overall {MegabytesPerSecond:F1} MB/s",
            Name(camera), outcomes.Count - failed, outcomes.Count, outcomes.Count(o => o.Status == ClipOutcome.InCustody),
            outcomes.Count(o => o.Status == ClipOutcome.AlreadyInCustody), failed, Interlocked.Read(ref _doneBytes) / 1e6 / Math.Max(0.001, _overall.Elapsed.TotalSeconds));
    }

    private static string Name(DockedCamera camera) => camera.Serial ?? camera.Volume;

    private sealed class CameraState(int files, long totalBytes)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _lastReport;
        private long _bytes;
        public int FilesDone;

        public int Files => files;

        public long TotalBytes => totalBytes;

        public long Bytes => Interlocked.Read(ref _bytes);

        public double MegabytesPerSecond => Bytes / 1e6 / Math.Max(0.001, _clock.Elapsed.TotalSeconds);

        public double SecondsLeft => MegabytesPerSecond > 0 ? (totalBytes - Bytes) / 1e6 / MegabytesPerSecond : double.NaN;

        /// <summary>Adds bytes; true when a progress report is due.</summary>
        public bool Tick(long bytes, TimeSpan interval)
        {
            Interlocked.Add(ref _bytes, bytes);
            var now = _clock.Elapsed;
            lock (this)
            {
                if (interval == TimeSpan.MaxValue || now - _lastReport < interval)
                {
                    return false;
                }

                _lastReport = now;
                return true;
            }
        }
    }
}
