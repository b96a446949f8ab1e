// The API runs on Linux servers; these tests start the real Ingest.Api process on 127.0.0.1.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
