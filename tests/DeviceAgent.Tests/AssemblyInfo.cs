// The dock PC runs Linux; these tests drive real processes, ffmpeg and the C SDK emulator.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
