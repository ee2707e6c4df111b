using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace PureBoot.Core.Validation;

/// <summary>Bad user input. Raised before anything is composed, sent or written; names the parameter.</summary>
public sealed class ValidationException : ArgumentException
{
    /// <param name="parameterName">Core's name of the value (a request field); the cmdlet names its own parameter.</param>
    /// <param name="reason">What is wrong with it, as a sentence that does not name the parameter.</param>
    public ValidationException(string parameterName, string reason) : base(reason, parameterName) { Reason = reason; }

    /// <summary>What is wrong, without the parameter's name: a cmdlet words the message with its own parameter name.</summary>
    public string Reason { get; }

    // ArgumentException would append "(Parameter 'x')"; this is the one wording for non-PowerShell callers.
    public override string Message => $"Parameter '{ParamName}': {Reason}";
}

/// <summary>
/// Checks everything a user gives before it can reach a shell, targetcli or the inventory. Every value that
/// later appears in a script passes one of these allow-lists; the shell transport quotes on top of that.
/// </summary>
public static partial class InputValidator
{
    public const long MinSizeBytes = 1L << 20;          // 1 MiB
    public const long MaxSizeBytes = 64L << 40;         // 64 TiB
    public const int MaxIqnBytes = 223;                 // RFC 3720 3.2.6.1

    [GeneratedRegex(@"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\z")] private static partial Regex NameRx();
    // iqn.yyyy-mm.reversed.domain[:unique-name]; the unique part may use letters, digits, '.', '-', ':'.
    [GeneratedRegex(@"^iqn\.(\d{4})-(\d{2})\.[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[a-z0-9.:-]*[a-z0-9])?\z")] private static partial Regex IqnRx();
    [GeneratedRegex(@"^iqn\.(\d{4})-(\d{2})\.[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\z")] private static partial Regex IqnPrefixRx();
    [GeneratedRegex(@"^eui\.[0-9a-f]{16}\z")] private static partial Regex EuiRx();
    [GeneratedRegex(@"^naa\.([0-9a-f]{16}|[0-9a-f]{32})\z")] private static partial Regex NaaRx();
    [GeneratedRegex(@"^[A-Za-z0-9._:-]{1,64}\z")] private static partial Regex ChapUserRx();
    [GeneratedRegex(@"^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}\z")] private static partial Regex VolumeGroupRx();
    [GeneratedRegex(@"^[a-z_][a-z0-9_-]{0,31}\z")] private static partial Regex UnixUserRx();
    [GeneratedRegex(@"^(?=.{1,253}\z)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\z")] private static partial Regex HostNameRx();
    // Paths that reach the target host: plain characters only, so a path can never carry shell or targetcli syntax.
    [GeneratedRegex(@"^/[A-Za-z0-9._+/-]*\z")] private static partial Regex SafePathRx();

    /// <summary>
    /// A backend, node or LUN name. Names are case-insensitive (the inventory compares them so): any case is taken, for
    /// a new object and for a lookup alike, and the name is kept in lower case (LIO and iPXE names are).
    /// </summary>
    public static string Name(string? value, string parameterName)
    {
        var v = Required(value, parameterName);
        // Only ASCII letters are folded: folding first would let e.g. the Kelvin sign through as 'k'.
        var folded = v.All(char.IsAscii) ? v.ToLowerInvariant() : v;
        if (!NameRx().IsMatch(folded))
            throw new ValidationException(parameterName,
                $"{Show(v)} is not a valid name. Use 1-63 letters, digits and hyphens, starting and ending with a letter or digit (names are kept in lower case).");
        return folded;
    }

    /// <summary>An iSCSI name: iqn. (RFC 3720/3721), eui. or naa. form, lower case, at most 223 bytes.</summary>
    public static string Iqn(string? value, string parameterName)
    {
        var v = Required(value, parameterName);
        if (Encoding.UTF8.GetByteCount(v) > MaxIqnBytes)
            throw new ValidationException(parameterName, $"the iSCSI name is {Encoding.UTF8.GetByteCount(v)} bytes; at most {MaxIqnBytes} are allowed.");
        if (v.StartsWith("eui.", StringComparison.Ordinal) && EuiRx().IsMatch(v)) return v;
        if (v.StartsWith("naa.", StringComparison.Ordinal) && NaaRx().IsMatch(v)) return v;
        var m = IqnRx().Match(v);
        if (m.Success && ValidYearMonth(m.Groups[1].Value, m.Groups[2].Value)) return v;
        var hint = v != v.ToLowerInvariant() ? " iSCSI names are lower case." : "";
        throw new ValidationException(parameterName,
            $"{Show(v)} is not a valid iSCSI name.{hint} Use iqn.yyyy-mm.reversed.domain[:identifier] (e.g. iqn.2026-01.local.pureboot:web01), eui. plus 16 hex digits, or naa. plus 16 or 32 hex digits.");
    }

    /// <summary>A target IQN prefix: iqn.yyyy-mm.reversed.domain, no ':' part (PureBoot appends it).</summary>
    public static string IqnPrefix(string? value, string parameterName)
    {
        var v = Required(value, parameterName);
        var m = IqnPrefixRx().Match(v);
        if (!m.Success || !ValidYearMonth(m.Groups[1].Value, m.Groups[2].Value) || v.Length > 150)
            throw new ValidationException(parameterName,
                $"{Show(v)} is not a valid IQN prefix. Use iqn.yyyy-mm.reversed.domain in lower case, without a ':' part, at most 150 characters (e.g. iqn.2026-01.local.pureboot).");
        return v;
    }

    static bool ValidYearMonth(string year, string month) =>
        int.TryParse(year, out var y) && y >= 1990 && int.TryParse(month, out var mo) && mo is >= 1 and <= 12;

    /// <summary>A MAC address in colon, hyphen, dot (Cisco) or bare hex notation; returns aa:bb:cc:dd:ee:ff.</summary>
    public static string MacAddress(string? value, string parameterName)
    {
        var v = Required(value, parameterName).Trim();
        string hex;
        if (Regex.IsMatch(v, @"^[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}\z")) hex = v.Replace(":", "").Replace("-", "");
        else if (Regex.IsMatch(v, @"^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\z")) hex = v.Replace(".", "");
        else if (Regex.IsMatch(v, @"^[0-9A-Fa-f]{12}\z")) hex = v;
        else throw new ValidationException(parameterName,
            $"{Show(v)} is not a MAC address. Use aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff or aabbccddeeff.");
        hex = hex.ToLowerInvariant();
        var first = Convert.ToByte(hex[..2], 16);
        if (hex == "000000000000" || (first & 1) == 1)
            throw new ValidationException(parameterName, $"{Show(v)} is a null, broadcast or multicast address, not a network card's.");
        return string.Join(":", Enumerable.Range(0, 6).Select(i => hex.Substring(i * 2, 2)));
    }

    /// <summary>The documented rule: iqn.2026-01.local.pureboot:node:&lt;12 hex digits of the MAC&gt;.</summary>
    public static string InitiatorIqnFromMac(string normalisedMac, string prefix = DefaultInitiatorPrefix) =>
        $"{prefix}:node:{normalisedMac.Replace(":", "")}";

    public const string DefaultInitiatorPrefix = "iqn.2026-01.local.pureboot";

    public static long SizeBytes(long value, string parameterName)
    {
        if (value < MinSizeBytes || value > MaxSizeBytes)
            throw new ValidationException(parameterName,
                $"{value} bytes is out of range. A LUN is 1 MiB to 64 TiB.");
        if (value % 512 != 0)
            throw new ValidationException(parameterName, $"{value} bytes is not a whole number of 512-byte blocks.");
        return value;
    }

    /// <summary>Gibibytes (may be fractional) to bytes, rounded up to whole MiB.</summary>
    public static long SizeFromGB(double gb, string parameterName)
    {
        if (double.IsNaN(gb) || double.IsInfinity(gb) || gb <= 0 || gb > 65536)
            throw new ValidationException(parameterName, $"{gb.ToString(CultureInfo.InvariantCulture)} GB is out of range. A LUN is 1 MiB to 64 TiB (65536 GB).");
        var mib = (long)Math.Ceiling(gb * 1024);
        return SizeBytes(mib << 20, parameterName);
    }

    /// <summary>An absolute directory on the target host (a FileIO storage directory).</summary>
    public static string HostDirectory(string? value, string parameterName)
    {
        var v = NormaliseHostPath(Required(value, parameterName), parameterName);
        if (v == "/") throw new ValidationException(parameterName, $"the root directory cannot be a storage directory.");
        return v;
    }

    /// <summary>
    /// An image path on the target host, absolute or relative to <paramref name="directory"/>, normalised and
    /// confined to that directory.
    /// </summary>
    public static string ImagePath(string? value, string directory, string parameterName)
    {
        var v = Required(value, parameterName);
        var full = v.StartsWith('/') ? v : directory.TrimEnd('/') + "/" + v;
        var normal = NormaliseHostPath(full, parameterName);
        if (!normal.StartsWith(directory.TrimEnd('/') + "/", StringComparison.Ordinal))
            throw new ValidationException(parameterName,
                $"{Show(v)} is outside the backend's image directory {directory}. Images must live under it.");
        return normal;
    }

    static string NormaliseHostPath(string v, string parameterName)
    {
        if (v.Length > 1024 || !SafePathRx().IsMatch(v))
            throw new ValidationException(parameterName,
                $"{Show(v)} is not an acceptable path. Use an absolute path of letters, digits and . _ + - / only (no spaces, quotes or other special characters).");
        var parts = new List<string>();
        foreach (var seg in v.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (seg == "..")
                throw new ValidationException(parameterName, $"{Show(v)} contains '..'; path traversal is not allowed.");
            if (seg == ".") continue;
            if (seg.StartsWith('-'))
                throw new ValidationException(parameterName, $"{Show(v)} has a path segment starting with '-'.");
            parts.Add(seg);
        }
        return "/" + string.Join("/", parts);
    }

    public static string VolumeGroup(string? value, string parameterName)
    {
        var v = Required(value, parameterName);
        if (!VolumeGroupRx().IsMatch(v) || v is "." or "..")
            throw new ValidationException(parameterName, $"{Show(v)} is not a valid LVM volume group name.");
        return v;
    }

    /// <summary>An LVM logical volume name (a thin pool's): LVM's characters, not starting with '-', not a reserved name.</summary>
    public static string LogicalVolume(string? value, string parameterName)
    {
        var v = Required(value, parameterName);
        if (!VolumeGroupRx().IsMatch(v) || v is "." or ".." || v.StartsWith("snapshot", StringComparison.Ordinal) || v.StartsWith("pvmove", StringComparison.Ordinal))
            throw new ValidationException(parameterName, $"{Show(v)} is not a valid LVM logical volume name.");
        return v;
    }

    /// <summary>A fill limit in percent: 1 to 100.</summary>
    public static int Percent(int value, string parameterName)
    {
        if (value is < 1 or > 100) throw new ValidationException(parameterName, $"{value} is not a percentage from 1 to 100.");
        return value;
    }

    public static string ChapUser(string? value, string parameterName)
    {
        var v = Required(value, parameterName);
        if (!ChapUserRx().IsMatch(v))
            throw new ValidationException(parameterName, $"{Show(v)} is not a valid CHAP user name. Use 1-64 letters, digits and . _ : -.");
        return v;
    }

    /// <summary>A DNS host name or an IP address (what ssh connects to).</summary>
    public static string Host(string? value, string parameterName)
    {
        var v = Required(value, parameterName);
        if (IPAddress.TryParse(v, out var ip) && v.IndexOfAny(new[] { '%', ' ' }) < 0) return ip.ToString();
        if (!HostNameRx().IsMatch(v))
            throw new ValidationException(parameterName, $"{Show(v)} is not a host name or IP address.");
        return v;
    }

    public static string PortalAddress(string? value, string parameterName)
    {
        var v = Required(value, parameterName);
        if (!IPAddress.TryParse(v, out var ip) || v.Contains('%'))
            throw new ValidationException(parameterName, $"{Show(v)} is not an IP address (use 0.0.0.0 for every address).");
        return ip.ToString();
    }

    public static int Port(int value, string parameterName)
    {
        if (value is < 1 or > 65535)
            throw new ValidationException(parameterName, $"{value} is not a TCP port (1-65535).");
        return value;
    }

    public static string UnixUser(string? value, string parameterName)
    {
        var v = Required(value, parameterName);
        if (!UnixUserRx().IsMatch(v))
            throw new ValidationException(parameterName, $"{Show(v)} is not a valid user name.");
        return v;
    }

    /// <summary>A file on the admin host given to ssh (identity, known_hosts): absolute, no control characters.</summary>
    public static string LocalFile(string? value, string parameterName)
    {
        var v = Required(value, parameterName);
        if (!v.StartsWith('/') || v.Any(char.IsControl) || v.Length > 4096)
            throw new ValidationException(parameterName, $"{Show(v)} must be an absolute path without control characters.");
        return Path.GetFullPath(v);
    }

    public const int MaxImageVersion = 99999;

    /// <summary>An image version number: 1 to 99999.</summary>
    public static int ImageVersion(int value, string parameterName)
    {
        if (value is < 1 or > MaxImageVersion)
            throw new ValidationException(parameterName, $"{value} is not an image version. Versions are numbered from 1 (at most {MaxImageVersion}).");
        return value;
    }

    /// <summary>Free text kept in the inventory only (never sent to a host).</summary>
    public static string? Description(string? value, string parameterName)
    {
        if (value is null) return null;
        if (value.Length > 1024 || value.Any(c => char.IsControl(c) && c != '\t'))
            throw new ValidationException(parameterName, $"a description is at most 1024 characters without control characters.");
        return value;
    }

    static string Required(string? value, string parameterName)
    {
        if (string.IsNullOrEmpty(value))
            throw new ValidationException(parameterName, "a value is required; it cannot be empty.");
        return value;
    }

    /// <summary>Quotes a rejected value for a message, escaping control and non-ASCII characters so they are visible.</summary>
    internal static string Show(string v)
    {
        var sb = new StringBuilder("'");
        foreach (var c in v.Length > 80 ? v[..80] + "…" : v)
        {
            if (c == '…') sb.Append(c);
            else if (c < 0x20 || c == 0x7f || c > 0x7e) sb.Append($"\\u{(int)c:x4}");
            else sb.Append(c);
        }
        return sb.Append('\'').ToString();
    }
}
