namespace EvidenceVault.DeviceAgent.Ingest;

/// <summary>The files of a mounted camera volume, in a stable order, never leaving the volume.</summary>
internal static class CameraVolume
{
    public static IEnumerable<FileInfo> Files(string volume)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            // A link could point anywhere on the dock PC; only what is on the camera is ingested.
            AttributesToSkip = FileAttributes.ReparsePoint,
            IgnoreInaccessible = false,
            ReturnSpecialDirectories = false,
        };
        return new DirectoryInfo(volume).EnumerateFiles("*", options)
            .Where(f => f.LinkTarget is null)
            .OrderBy(f => f.FullName, StringComparer.Ordinal);
    }
}
