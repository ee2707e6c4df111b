using PureBoot.Core.Boot;
using PureBoot.Core.Inventory;
using PureBoot.Core.Io;
using PureBoot.Core.Model;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>What an iPXE boot script points at (Get-IscsiBootScript -Path returns this; it never holds the secret).</summary>
public sealed class BootScriptInfo
{
    public required string Node { get; init; }
    public required string Lun { get; init; }
    public required string Backend { get; init; }
    public required string InitiatorIqn { get; init; }
    public required string TargetIqn { get; init; }
    /// <summary>The LUN number the node asks for (its mapped LUN index).</summary>
    public int LunNumber { get; init; }
    public required string Portal { get; init; }
    public int Port { get; init; }
    /// <summary>None, OneWay or Mutual.</summary>
    public required string Chap { get; init; }
    /// <summary>The iSCSI root path of the sanboot line.</summary>
    public required string RootPath { get; init; }
    /// <summary>The file written, when written.</summary>
    public string? Path { get; init; }
    public override string ToString() => Path ?? RootPath;
}

/// <summary>The diskless boot workflow's scripts: the iPXE script that sanboots a node from its boot LUN.</summary>
internal sealed class BootScripts(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;

    /// <summary>
    /// The node's boot LUN: its one Active LUN with Purpose BootFromSan, else its only Active LUN.
    /// Throws <see cref="InventoryNotFoundException"/> when it has none and <see cref="InventoryConflictException"/> when it is ambiguous.
    /// </summary>
    public Lun GetBootLun(string nodeName)
    {
        var node = _ctx.Node(nodeName);
        return BootLunOf(node);
    }

    Lun BootLunOf(Node node)
    {
        var active = _ctx.Inventory.ListLuns().Where(l => l.NodeId == node.Id && l.Status == LunStatus.Active).OrderBy(l => l.Name, StringComparer.Ordinal).ToList();
        if (active.Count == 0)
        {
            var assigned = _ctx.Inventory.ListLuns().Where(l => l.NodeId == node.Id).ToList();
            throw new InventoryNotFoundException(assigned.Count == 0
                ? $"Node '{node.Name}' has no LUN assigned; assign its boot LUN with Set-IscsiLunAssignment."
                : $"Node '{node.Name}' has no Active LUN ({string.Join(", ", assigned.Select(l => $"'{l.Name}' is {l.Status}"))}); run Sync-IscsiTarget.");
        }
        var boot = active.Where(l => l.Purpose == LunPurpose.BootFromSan).ToList();
        if (boot.Count == 1) return boot[0];
        if (boot.Count > 1)
            throw new InventoryConflictException($"Node '{node.Name}' has {boot.Count} Active BootFromSan LUNs ({string.Join(", ", boot.Select(l => l.Name))}); a node boots from one: change the others' purpose or unassign them.");
        if (active.Count == 1) return active[0];
        throw new InventoryConflictException($"Node '{node.Name}' has {active.Count} Active LUNs ({string.Join(", ", active.Select(l => l.Name))}) and none has Purpose BootFromSan; cannot tell which one it boots from.");
    }

    /// <summary>
    /// The iPXE script that boots <paramref name="nodeName"/> from its boot LUN. The portal is
    /// <paramref name="portalAddress"/> when given, else the backend's PortalAddress, else (when that listens
    /// on every address) the backend's ssh Host; the port is <paramref name="portalPort"/> or the backend's
    /// PortalPort. The script holds the CHAP secret(s): reading it writes an audit row.
    /// </summary>
    public string GetBootScript(string nodeName, string? portalAddress = null, int? portalPort = null)
    {
        var (text, info) = BuildBootScript(nodeName, portalAddress, portalPort);
        _ctx.Inventory.WriteAudit(EngineContext.Audit("read-boot-script", "node", info.Node, AuditOutcome.Success, $"LUN {info.Lun} via {info.RootPath}, CHAP {info.Chap}"));
        return text;
    }

    /// <summary>
    /// Writes the node's iPXE script to <paramref name="path"/>: created with mode 0600 under a temporary name
    /// and renamed into place. An existing file is replaced only with <paramref name="overwrite"/>.
    /// </summary>
    public BootScriptInfo WriteBootScript(string nodeName, string path, string? portalAddress = null, int? portalPort = null, bool overwrite = false)
    {
        var (text, info) = BuildBootScript(nodeName, portalAddress, portalPort);
        var full = WritePrivately(path, text, overwrite);
        _ctx.Inventory.WriteAudit(EngineContext.Audit("write-boot-script", "node", info.Node, AuditOutcome.Success, $"LUN {info.Lun} via {info.RootPath}, CHAP {info.Chap}, to {full}"));
        return new BootScriptInfo
        {
            Node = info.Node, Lun = info.Lun, Backend = info.Backend, InitiatorIqn = info.InitiatorIqn, TargetIqn = info.TargetIqn,
            LunNumber = info.LunNumber, Portal = info.Portal, Port = info.Port, Chap = info.Chap, RootPath = info.RootPath, Path = full,
        };
    }

    /// <summary>The script, 0600 from its first byte, written whole and renamed into place.</summary>
    static string WritePrivately(string path, string text, bool overwrite)
    {
        if (string.IsNullOrWhiteSpace(path) || path.Any(char.IsControl))
            throw new ValidationException("Path", "give a file name without control characters.");
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full);
        if (string.IsNullOrEmpty(dir) || !Directory.Exists(dir)) throw new ValidationException("Path", $"the directory {dir} does not exist.");
        if (Directory.Exists(full)) throw new ValidationException("Path", $"{full} is a directory; give a file name.");
        if (!overwrite && File.Exists(full)) throw new ValidationException("Path", $"{full} exists; use -Force to replace it.");
        try { return PrivateFiles.WriteAtomically(full, text, overwrite); }
        catch (IOException) when (!overwrite && File.Exists(full)) { throw new ValidationException("Path", $"{full} exists; use -Force to replace it."); }
    }

    (string Text, BootScriptInfo Info) BuildBootScript(string nodeName, string? portalAddress, int? portalPort)
    {
        var node = _ctx.Node(nodeName);
        var lun = BootLunOf(node);
        var b = _ctx.Inventory.GetBackendById(lun.BackendId) ?? throw new InventoryNotFoundException($"LUN '{lun.Name}' names a backend that does not exist.");
        if (lun.TargetIqn is null || lun.MappedLunIndex is null || lun.InitiatorIqn is null)
            throw new InventoryConflictException($"LUN '{lun.Name}' has no mapping recorded; run Sync-IscsiTarget.");
        if (lun.InitiatorIqn != node.InitiatorIqn)
            throw new InventoryConflictException($"LUN '{lun.Name}' is mapped for {lun.InitiatorIqn}, but node '{node.Name}' is {node.InitiatorIqn}; unassign and assign it again.");

        string portal;
        if (portalAddress is not null) portal = IpxeScript.RootPathServer(portalAddress.Trim());
        else if (!IpxeScript.IsWildcard(b.PortalAddress)) portal = IpxeScript.RootPathServer(b.PortalAddress);
        else if (b.Host is not null) portal = IpxeScript.RootPathServer(b.Host);
        else throw new ValidationException("PortalAddress",
            $"backend '{b.Name}' listens on {b.PortalAddress} and has no host name ({b.Transport} transport); give the address nodes reach it at.");
        var port = InputValidator.Port(portalPort ?? b.PortalPort, "PortalPort");

        if (lun.ChapEnabled && (lun.ChapUser is null || lun.ChapSecretSealed is null))
            throw new InventoryConflictException($"LUN '{lun.Name}' has CHAP on but no credential recorded; set one with Set-IscsiLun.");
        if (lun.ChapEnabled && lun.MutualChapEnabled && (lun.MutualChapUser is null || lun.MutualChapSecretSealed is null))
            throw new InventoryConflictException($"LUN '{lun.Name}' has mutual CHAP on but no credential recorded; set one with Set-IscsiLun.");
        var chap = _ctx.Chap.Open(lun);
        string? secret = chap?.Secret, mutual = chap?.MutualSecret;
        var text = IpxeScript.Render(new IpxeBootParameters
        {
            NodeName = node.Name, LunName = lun.Name, InitiatorIqn = node.InitiatorIqn, TargetIqn = lun.TargetIqn, Lun = lun.MappedLunIndex.Value,
            Portal = portal, Port = port,
            ChapUser = lun.ChapEnabled ? lun.ChapUser : null, ChapSecret = secret,
            MutualChapUser = lun.ChapEnabled && lun.MutualChapEnabled ? lun.MutualChapUser : null, MutualChapSecret = mutual,
        });
        var info = new BootScriptInfo
        {
            Node = node.Name, Lun = lun.Name, Backend = b.Name, InitiatorIqn = node.InitiatorIqn, TargetIqn = lun.TargetIqn,
            LunNumber = lun.MappedLunIndex.Value, Portal = portal, Port = port, Chap = lun.Chap,
            RootPath = $"iscsi:{portal}::{port}:{lun.MappedLunIndex.Value}:{lun.TargetIqn}",
        };
        return (text, info);
    }
}
