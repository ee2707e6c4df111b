using PureBoot.Core.Model;
using K = PureBoot.Core.Lio.LioProblemKind;

namespace PureBoot.Core.Lio;

/// <summary>
/// Decides from a LIO configuration read back from the host whether a LUN's objects are as PureBoot wants them.
/// Neither executor's word is trusted (targetcli exits 0 when lines fail): these checks decide each item's fate.
/// </summary>
public static class ExportChecks
{
    /// <summary>Null when the LUN's storage object, target and TPG LUN exist as recorded.</summary>
    public static LioProblem? Export(LioConfig cfg, Backend b, Lun lun)
    {
        if (!lun.HasLioObjects) return new(K.NoObjectsRecorded, "the LUN has no LIO objects recorded");
        var so = cfg.FindStorageObject(b.StoragePlugin, lun.StorageObjectName!);
        if (so is null) return new(K.StorageObjectMissing, $"storage object {b.StoragePlugin}/{lun.StorageObjectName} does not exist on the target");
        if (so.Dev != lun.BackingPath) return new(K.StorageObjectOnOtherDevice, $"storage object {so.Path} uses {so.Dev}, not {lun.BackingPath}");
        if (b.Storage == StorageKind.FileIO && so.Size is { } size && size != lun.SizeBytes)
            return new(K.StorageObjectWrongSize, $"storage object {so.Path} is {size} bytes, not {lun.SizeBytes}");
        var tpg = cfg.FindTpg(lun.TargetIqn!);
        if (tpg is null) return new(K.TargetMissing, $"target {lun.TargetIqn} (tpg1) does not exist");
        if (Tpg(tpg, lun.TargetIqn!, b) is { } problem) return problem;
        var l = tpg.FindLun(lun.TpgLunIndex!.Value);
        if (l is null) return new(K.LunMissing, $"LUN {lun.TpgLunIndex} does not exist on target {lun.TargetIqn}");
        if (l.StorageObject != so.Path) return new(K.LunExportsOther, $"LUN {lun.TpgLunIndex} on target {lun.TargetIqn} points at {l.StorageObject}, not {so.Path}");
        return null;
    }

    /// <summary>Null when the TPG is locked down (no dynamic ACLs), enabled and listening on the backend's portal.</summary>
    public static LioProblem? Tpg(Tpg tpg, string target, Backend b)
    {
        if (tpg.Attribute("generate_node_acls") != "0")
            return new(K.TpgOpen, $"target {target} has generate_node_acls={tpg.Attribute("generate_node_acls") ?? "?"}: any initiator could log in");
        if (!tpg.Enable) return new(K.TpgDisabled, $"target {target} tpg1 is not enabled");
        if (!tpg.Portals.Any(p => p.IpAddress == b.PortalAddress && p.Port == b.PortalPort))
            return new(K.PortalMissing, $"target {target} has no portal {b.PortalAddress}:{b.PortalPort}");
        return null;
    }

    /// <summary>Initiators other than <paramref name="allowed"/> whose ACL maps this LUN: each one is a leak.</summary>
    public static IEnumerable<string> OtherInitiatorsSeeing(LioConfig cfg, Lun lun, string? allowed)
    {
        var tpg = lun.TargetIqn is null ? null : cfg.FindTpg(lun.TargetIqn);
        if (tpg is null || lun.TpgLunIndex is null) return Enumerable.Empty<string>();
        return tpg.AclsMapping(lun.TpgLunIndex.Value).Where(a => a.NodeWwn != allowed).Select(a => a.NodeWwn).ToList();
    }

    /// <summary>The first leak as a problem, or null: only <paramref name="allowed"/> may map the LUN.</summary>
    public static LioProblem? Leak(LioConfig cfg, Lun lun, string? allowed) =>
        OtherInitiatorsSeeing(cfg, lun, allowed).Select(i => new LioProblem(K.VisibleToOtherInitiator, $"LUN also visible to {i}")).FirstOrDefault();

    /// <summary>Null when the node's ACL maps this LUN at the recorded index with the LUN's CHAP settings.</summary>
    public static LioProblem? Mapping(LioConfig cfg, Lun lun, string initiator, int mappedIndex, ChapSettings? chap)
    {
        var tpg = cfg.FindTpg(lun.TargetIqn!);
        var acl = tpg?.FindAcl(initiator);
        if (acl is null) return new(K.AclMissing, $"ACL {initiator} does not exist on target {lun.TargetIqn}");
        var m = acl.FindMappedLun(mappedIndex);
        if (m is null || m.TpgLun != lun.TpgLunIndex) return new(K.MappedLunMissing, $"ACL {initiator} has no mapped LUN {mappedIndex} for LUN {lun.TpgLunIndex}");
        if (m.WriteProtect) return new(K.MappedLunWriteProtected, $"mapped LUN {mappedIndex} of ACL {initiator} is write-protected");
        // -1 means the ACL inherits the TPG's setting (the kernel resolves it the same way).
        var auth = acl.Attribute("authentication") is "-1" or null ? tpg!.Attribute("authentication") : acl.Attribute("authentication");
        if (lun.ChapEnabled)
        {
            if (auth != "1") return new(K.ChapNotRequired, $"ACL {initiator} does not require CHAP (authentication={auth})");
            if (acl.ChapUserId != lun.ChapUser || !acl.ChapPasswordEquals(chap?.Secret))
                return new(K.ChapCredentialDiffers, $"ACL {initiator} does not hold the LUN's CHAP credential");
            if (lun.MutualChapEnabled && (acl.ChapMutualUserId != lun.MutualChapUser || !acl.ChapMutualPasswordEquals(chap?.MutualSecret)))
                return new(K.MutualChapCredentialDiffers, $"ACL {initiator} does not hold the LUN's mutual CHAP credential");
            if (!lun.MutualChapEnabled && acl.HasMutualChap) return new(K.MutualChapLeftOver, $"ACL {initiator} still has mutual CHAP set");
        }
        else if (auth != "0") return new(K.ChapRequiredWithoutCredential, $"ACL {initiator} requires CHAP but the LUN has none (authentication={auth})");
        return null;
    }

    /// <summary>The LUN's full verdict after a change: exported, mapped as recorded when Active, and seen by no one else.</summary>
    public static LioProblem? Verdict(LioConfig cfg, Backend b, Lun lun, ChapSettings? chap)
    {
        var problem = Export(cfg, b, lun);
        if (problem is null && lun.InitiatorIqn is not null)
            problem = Mapping(cfg, lun, lun.InitiatorIqn, lun.MappedLunIndex ?? -1, chap);
        return problem ?? Leak(cfg, lun, lun.InitiatorIqn);
    }
}
