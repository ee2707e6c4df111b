using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Boot;

/// <summary>What an iPXE script needs to boot a node from its LUN. Secrets are plain text: memory only.</summary>
public sealed record IpxeBootParameters
{
    public required string NodeName { get; init; }
    public required string LunName { get; init; }
    public required string InitiatorIqn { get; init; }
    public required string TargetIqn { get; init; }
    /// <summary>The LUN number the initiator asks for: the node's mapped LUN index.</summary>
    public required int Lun { get; init; }
    /// <summary>An IP address or DNS name the node can reach.</summary>
    public required string Portal { get; init; }
    public required int Port { get; init; }
    public string? ChapUser { get; init; }
    public string? ChapSecret { get; init; }
    public string? MutualChapUser { get; init; }
    public string? MutualChapSecret { get; init; }
    // Records print their members; keep secrets out.
    public override string ToString() => $"IpxeBootParameters {{ Node = {NodeName}, Lun = {LunName}, Target = {TargetIqn}:{Lun}, Portal = {Portal}:{Port} }}";
}

/// <summary>
/// Renders the iPXE script that boots a node from its iSCSI LUN (sanboot with the iSCSI root path
/// <c>iscsi:&lt;server&gt;:&lt;protocol&gt;:&lt;port&gt;:&lt;lun&gt;:&lt;targetname&gt;</c>).
/// Every value is checked against an allow-list that holds nothing iPXE's command line treats specially
/// (no whitespace, quotes, backslash, '$', '{', '}', '#' or control characters), so no value can add a command,
/// expand a setting or end a line: the script is exactly the lines below, whatever the inventory holds.
/// </summary>
public static class IpxeScript
{
    /// <summary>Characters a value may hold: those of IQNs, CHAP users and CHAP secrets ([A-Za-z0-9._:+~-]).</summary>
    public static bool IsSafeChar(char c) =>
        c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or ':' or '+' or '~' or '-';

    public static string Render(IpxeBootParameters p)
    {
        var node = Safe(p.NodeName, "node name");
        var lunName = Safe(p.LunName, "LUN name");
        var initiator = Safe(p.InitiatorIqn, "initiator IQN");
        var target = Safe(p.TargetIqn, "target IQN");
        if (p.Lun is < 0 or > 16383) throw new ValidationException("Lun", $"LUN number {p.Lun} is out of range for an iSCSI root path.");
        var portal = RootPathServer(p.Portal);
        var port = InputValidator.Port(p.Port, "PortalPort");
        if ((p.ChapUser is null) != (p.ChapSecret is null))
            throw new ValidationException("ChapSecret", "A CHAP user needs its secret and a secret its user.");
        if ((p.MutualChapUser is null) != (p.MutualChapSecret is null))
            throw new ValidationException("MutualChapSecret", "A mutual CHAP user needs its secret and a secret its user.");
        if (p.MutualChapUser is not null && p.ChapUser is null)
            throw new ValidationException("MutualChapUser", "Mutual CHAP needs one-way CHAP as well.");

        var sb = new StringBuilder();
        void Line(string s) => sb.Append(s).Append('\n');
        Line("#!ipxe");
        Line($"# PureBoot: node {node} boots LUN {lunName}");
        Line($"set initiator-iqn {initiator}");
        if (p.ChapUser is not null)
        {
            Line($"set username {Safe(p.ChapUser, "CHAP user")}");
            Line($"set password {Secret(p.ChapSecret!, "CHAP secret")}");
        }
        if (p.MutualChapUser is not null)
        {
            Line($"set reverse-username {Safe(p.MutualChapUser, "mutual CHAP user")}");
            Line($"set reverse-password {Secret(p.MutualChapSecret!, "mutual CHAP secret")}");
        }
        Line($"sanboot iscsi:{portal}::{port.ToString(CultureInfo.InvariantCulture)}:{p.Lun.ToString(CultureInfo.InvariantCulture)}:{target}");
        return sb.ToString();
    }

    /// <summary>The server part of the root path: an IPv4 address or DNS name as is, an IPv6 address in brackets.</summary>
    public static string RootPathServer(string portal)
    {
        if (string.IsNullOrEmpty(portal)) throw new ValidationException("PortalAddress", "the portal address is empty.");
        if (IPAddress.TryParse(portal.Trim('[', ']'), out var ip) && !portal.Contains('%'))
        {
            if (IsWildcard(ip))
                throw new ValidationException("PortalAddress", $"{ip} listens on every address; a node needs one address it can reach.");
            return ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString();
        }
        return InputValidator.Host(portal, "PortalAddress");
    }

    public static bool IsWildcard(string address) =>
        IPAddress.TryParse(address.Trim('[', ']'), out var ip) && IsWildcard(ip);

    static bool IsWildcard(IPAddress ip) => ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any);

    static string Safe(string value, string what)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 255 || !value.All(IsSafeChar))
            throw new ValidationException(what, $"The {what} holds characters an iPXE script cannot carry safely; allowed are letters, digits and . _ : + ~ -.");
        return value;
    }

    // A secret's characters are never shown, not even the offending one.
    static string Secret(string value, string what)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 255 || !value.All(c => IsSafeChar(c) && c != ':'))
            throw new ValidationException(what, $"The {what} holds characters an iPXE script cannot carry safely (allowed: letters, digits and . _ + ~ -); set a new one with Set-IscsiLun.");
        return value;
    }
}
