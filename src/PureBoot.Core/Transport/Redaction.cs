using System.Text.RegularExpressions;

namespace PureBoot.Core.Transport;

/// <summary>Removes CHAP secrets from text bound for logs, -Verbose and error messages.</summary>
public static partial class Redaction
{
    public const string Mask = "********";

    [GeneratedRegex(@"\b(password|mutual_password)=\S*")]
    private static partial Regex PasswordAssignment();

    [GeneratedRegex(@"(Parameter (?:password|mutual_password) is now ')[^']*(')")]
    private static partial Regex PasswordEcho();

    [GeneratedRegex(@"(""chap_(?:mutual_)?password""\s*:\s*"")[^""]*("")")]
    private static partial Regex PasswordJson();

    public static string RedactTargetcliLine(string line) => PasswordAssignment().Replace(line, m => m.Groups[1].Value + "=" + Mask);

    /// <summary>Redacts targetcli output and saveconfig JSON too.</summary>
    public static string RedactText(string text)
    {
        text = PasswordAssignment().Replace(text, m => m.Groups[1].Value + "=" + Mask);
        text = PasswordEcho().Replace(text, m => m.Groups[1].Value + Mask + m.Groups[2].Value);
        return PasswordJson().Replace(text, m => m.Groups[1].Value + Mask + m.Groups[2].Value);
    }
}
