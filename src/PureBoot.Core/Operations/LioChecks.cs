using PureBoot.Core.Lio;
using PureBoot.Core.Model;

namespace PureBoot.Core.Operations;

/// <summary>
/// Decides from a LIO configuration read back from the host whether a LUN's objects are as PureBoot wants them.
/// targetcli exits 0 when lines fail, so these checks, not its exit code, decide each item's fate.
/// </summary>
internal static class LioChecks
{
    public static string Plugin(Backend b) => b.Storage == StorageKind.FileIO ? "fileio" : "block";

    public static string BackingPath(Backend b, string storageObject) =>
        b.Storage == StorageKind.FileIO ? $"{b.StoragePath.TrimEnd('/')}/{storageObject}.img" : $"/dev/{b.StoragePath}/{storageObject}";

    /// <summary>Null when the LUN's storage object, target and TPG LUN exist as recorded.</summary>
    public static string? CheckExport(LioConfig cfg, Backend b, Lun lun)
    {
        if (lun.StorageObjectName is null || lun.TargetIqn is null || lun.TpgLunIndex is null) return "the LUN has no LIO objects recorded";
        var plugin = Plugin(b);
        var so = cfg.FindStorageObject(plugin, lun.StorageObjectName);
        if (so is null) return $"storage object {plugin}/{lun.StorageObjectName} does not exist on the target";
        if (so.Dev != lun.BackingPath) return $"storage object {so.Path} uses {so.Dev}, not {lun.BackingPath}";
        if (plugin == "fileio" && so.Size is { } size && size != lun.SizeBytes) return $"storage object {so.Path} is {size} bytes, not {lun.SizeBytes}";
        var tpg = cfg.FindTarget(lun.TargetIqn)?.Tpg1;
        if (tpg is null) return $"target {lun.TargetIqn} (tpg1) does not exist";
        var problem = CheckTpg(tpg, lun.TargetIqn, b);
        if (problem is not null) return problem;
        var l = tpg.FindLun(lun.TpgLunIndex.Value);
        if (l is null) return $"LUN {lun.TpgLunIndex} does not exist on target {lun.TargetIqn}";
        if (l.StorageObject != so.Path) return $"LUN {lun.TpgLunIndex} on target {lun.TargetIqn} points at {l.StorageObject}, not {so.Path}";
        return null;
    }

    /// <summary>Null when the TPG is locked down (no dynamic ACLs) and listens on the backend's portal.</summary>
    public static string? CheckTpg(Tpg tpg, string target, Backend b)
    {
        if (tpg.Attribute("generate_node_acls") != "0")
            return $"target {target} has generate_node_acls={tpg.Attribute("generate_node_acls") ?? "?"}: any initiator could log in";
        if (!tpg.Enable) return $"target {target} tpg1 is not enabled";
        if (!tpg.Portals.Any(p => p.IpAddress == b.PortalAddress && p.Port == b.PortalPort))
            return $"target {target} has no portal {b.PortalAddress}:{b.PortalPort}";
        return null;
    }

    /// <summary>Initiators other than <paramref name="allowed"/> whose ACL maps this LUN: each one is a leak.</summary>
    public static IEnumerable<string> OtherInitiatorsSeeing(LioConfig cfg, Lun lun, string? allowed)
    {
        var tpg = lun.TargetIqn is null ? null : cfg.FindTarget(lun.TargetIqn)?.Tpg1;
        if (tpg is null || lun.TpgLunIndex is null) yield break;
        foreach (var acl in tpg.NodeAcls)
            if (acl.NodeWwn != allowed && acl.MappedLuns.Any(m => m.TpgLun == lun.TpgLunIndex))
                yield return acl.NodeWwn;
    }

    /// <summary>Null when the node's ACL maps this LUN at the recorded index with the LUN's CHAP settings.</summary>
    public static string? CheckMapping(LioConfig cfg, Lun lun, string initiator, int mappedIndex, string? chapSecret, string? mutualSecret)
    {
        var tpg = cfg.FindTarget(lun.TargetIqn!)?.Tpg1;
        var acl = tpg?.FindAcl(initiator);
        if (acl is null) return $"ACL {initiator} does not exist on target {lun.TargetIqn}";
        var m = acl.MappedLuns.FirstOrDefault(x => x.Index == mappedIndex);
        if (m is null || m.TpgLun != lun.TpgLunIndex) return $"ACL {initiator} has no mapped LUN {mappedIndex} for LUN {lun.TpgLunIndex}";
        if (m.WriteProtect) return $"mapped LUN {mappedIndex} of ACL {initiator} is write-protected";
        // -1 means the ACL inherits the TPG's setting (the kernel resolves it the same way).
        var auth = acl.Attribute("authentication") is "-1" or null ? tpg!.Attribute("authentication") : acl.Attribute("authentication");
        if (lun.ChapEnabled)
        {
            if (auth != "1") return $"ACL {initiator} does not require CHAP (authentication={auth})";
            if (acl.ChapUserId != lun.ChapUser || !acl.ChapPasswordEquals(chapSecret)) return $"ACL {initiator} does not hold the LUN's CHAP credential";
            if (lun.MutualChapEnabled && (acl.ChapMutualUserId != lun.MutualChapUser || !acl.ChapMutualPasswordEquals(mutualSecret)))
                return $"ACL {initiator} does not hold the LUN's mutual CHAP credential";
            if (!lun.MutualChapEnabled && acl.HasMutualChap) return $"ACL {initiator} still has mutual CHAP set";
        }
        else if (auth != "0") return $"ACL {initiator} requires CHAP but the LUN has none (authentication={auth})";
        return null;
    }
}
