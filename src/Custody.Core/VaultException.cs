namespace EvidenceVault.Custody;

/// <summary>A problem an operator can act on (missing vault, wrong key, broken file), with a one-line message.</summary>
public sealed class VaultException : Exception
{
    public VaultException(string message) : base(message)
    {
    }

    public VaultException(string message, Exception inner) : base(message, inner)
    {
    }
}
