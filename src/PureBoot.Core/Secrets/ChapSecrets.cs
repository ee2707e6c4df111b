using PureBoot.Core.Validation;
using System.Security.Cryptography;

namespace PureBoot.Core.Secrets;

/// <summary>Generates and checks CHAP secrets. LIO and most initiators (iPXE, open-iscsi, Windows)
/// accept 12 to 16 characters; messages never contain the secret.</summary>
public static class ChapSecrets
{
    public const int MinLength = 12;
    public const int MaxLength = 16;
    public const int GeneratedLength = 16;
    private const string GenerateAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    public const string AllowedDescription = "letters A-Z and a-z, digits 0-9 and the characters . _ + ~ -";

    /// <summary>16 characters drawn uniformly from [A-Za-z0-9] by the system CSPRNG.</summary>
    public static string Generate() => RandomNumberGenerator.GetString(GenerateAlphabet, GeneratedLength);

    public static bool IsAllowedChar(char c) =>
        c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '+' or '~' or '-';

    /// <summary>Throws <see cref="ValidationException"/> (an ArgumentException) naming <paramref name="parameterName"/> unless the secret is
    /// 12 to 16 characters of [A-Za-z0-9._+~-].</summary>
    public static void Validate(string? secret, string parameterName)
    {
        if (string.IsNullOrEmpty(secret))
            throw new ValidationException(parameterName,
                $"the secret is empty: a CHAP secret must be {MinLength} to {MaxLength} characters ({AllowedDescription})");
        if (secret.Length < MinLength || secret.Length > MaxLength)
            throw new ValidationException(parameterName,
                $"the secret is {secret.Length} characters long: a CHAP secret must be {MinLength} to {MaxLength} characters ({AllowedDescription})");
        for (var i = 0; i < secret.Length; i++)
        {
            var c = secret[i];
            if (IsAllowedChar(c)) continue;
            var kind = c > 127 ? "a non-ASCII character (look-alike letters from other alphabets are not allowed)"
                : char.IsWhiteSpace(c) || char.IsControl(c) ? "a space or control character"
                : "a character that is not allowed";
            throw new ValidationException(parameterName,
                $"the secret has {kind} at position {i + 1}: a CHAP secret may contain only {AllowedDescription}");
        }
    }
}
