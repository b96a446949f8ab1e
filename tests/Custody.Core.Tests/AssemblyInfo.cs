// The dock PCs and servers run Linux; the tests use its file modes and fsync paths.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
