namespace EvidenceVault.DeviceAgent.Ingest;

/// <summary>
/// A camera in the dock, as identified by its connector: the vendor SDK reads identity and clock
/// from the device; a plain mass-storage volume knows only what its clips' names say.
/// </summary>
/// <param name="Volume">Where its mass-storage volume is mounted.</param>
/// <param name="ClockOffsetSeconds">Camera clock minus dock clock, measured before syncing; null when the connector cannot read the clock.</param>
/// <param name="Connector">mass-storage or sdk.</param>
public sealed record DockedCamera(
    string Volume,
    string? Serial,
    string? OfficerId,
    string? OfficerName,
    string? UnitId,
    string? UnitName,
    double? ClockOffsetSeconds,
    string Connector);
