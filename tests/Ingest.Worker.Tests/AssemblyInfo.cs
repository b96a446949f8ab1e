// The worker runs on Linux servers; these tests drive real ffmpeg/ffprobe and real processes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
