using System.Security.Cryptography;

namespace EvidenceVault.Tests;

/// <summary>The environment of a new deployment on the run's servers: its own database, its own bucket, its own signing key.</summary>
public static class DeploymentSettings
{
    public static Dictionary<string, string> New(PostgresServer postgres, RadosGateway gateway, string origin) => new()
    {
        ["EVIDENCEVAULT_POSTGRES"] = postgres.ConnectionString("ev_app", postgres.NewDatabase()),
        ["EVIDENCEVAULT_S3_ENDPOINT"] = gateway.Endpoint,
        ["EVIDENCEVAULT_S3_ACCESS_KEY"] = gateway.AccessKey,
        ["EVIDENCEVAULT_S3_SECRET_KEY"] = gateway.SecretKey,
        ["EVIDENCEVAULT_S3_BUCKET"] = "ev-" + Guid.NewGuid().ToString("N")[..12],
        ["EVIDENCEVAULT_S3_RETENTION_DAYS"] = "1",
        ["EVIDENCEVAULT_SIGNING_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        ["EVIDENCEVAULT_ORIGIN"] = origin,
        ["EVIDENCEVAULT_POLICY"] = "hebei-street-office",
    };
}
