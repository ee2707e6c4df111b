using System.Management.Automation;
using System.Security;

namespace PureBoot.PowerShell;

/// <summary>CHAP secrets enter as PSCredential (SecureString) and leave only through Get-IscsiLunChapCredential.</summary>
internal static class Credentials
{
    public static bool IsGiven(PSCredential? c) => c is not null && !ReferenceEquals(c, PSCredential.Empty) && !string.IsNullOrEmpty(c.UserName);

    /// <summary>The user name without a Windows-style domain part ("DOMAIN\user" or "user@domain" are kept as typed, except a leading '\').</summary>
    public static string? User(PSCredential? c) => IsGiven(c) ? c!.UserName.TrimStart('\\') : null;

    /// <summary>The secret in plain text for the engine, or null when the credential has an empty password (generate one).</summary>
    public static string? Secret(PSCredential? c)
    {
        if (!IsGiven(c) || c!.Password is null || c.Password.Length == 0) return null;
        return c.GetNetworkCredential().Password;
    }

    public static SecureString ToSecureString(string value)
    {
        var s = new SecureString();
        foreach (var ch in value) s.AppendChar(ch);
        s.MakeReadOnly();
        return s;
    }
}
