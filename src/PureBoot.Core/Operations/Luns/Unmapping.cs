using PureBoot.Core.Lio;
using PureBoot.Core.Model;

namespace PureBoot.Core.Operations;

/// <summary>Plans the end of LUNs' visibility: every mapped LUN of them, and each ACL that is left mapping nothing.</summary>
internal static class Unmapping
{
    public static List<LioChange> Plan(LioConfig live, IEnumerable<(Lun Lun, string Item)> luns)
    {
        var changes = new List<LioChange>();
        var removed = new Dictionary<(string, string), HashSet<int>>();
        foreach (var (lun, item) in luns)
        {
            var tpg = lun.TargetIqn is null ? null : live.FindTpg(lun.TargetIqn);
            if (tpg is null || lun.TpgLunIndex is null) continue;
            foreach (var acl in tpg.AclsMapping(lun.TpgLunIndex.Value))
                foreach (var m in acl.MappedLuns.Where(m => m.TpgLun == lun.TpgLunIndex))
                {
                    changes.Add(new DeleteMappedLun(item, lun.TargetIqn!, acl.NodeWwn, m.Index));
                    var key = (lun.TargetIqn!, acl.NodeWwn);
                    if (!removed.TryGetValue(key, out var set)) removed[key] = set = new();
                    set.Add(m.Index);
                    if (acl.MappedLuns.All(x => set.Contains(x.Index))) changes.Add(new DeleteNodeAcl(item, lun.TargetIqn!, acl.NodeWwn));
                }
        }
        return changes;
    }

    /// <summary>Removes a LUN's own export: its whole target in PerLun mode when it holds nothing else, else its TPG LUN (if it still exports the LUN's storage object).</summary>
    public static LioChange? Unexport(LioConfig live, Backend b, Lun lun, string item)
    {
        if (lun.TargetIqn is null || lun.TpgLunIndex is not { } index) return null;
        var tpg = live.FindTpg(lun.TargetIqn);
        if (tpg is null) return null;
        var ours = tpg.Exports(index, b.StorageObjectPath(lun.StorageObjectName!));
        // A PerLun target is the LUN's own: it goes whole when it exports nothing else.
        if (b.Mode == TargetMode.PerLun && (tpg.Luns.Count == 0 || (ours && tpg.Luns.Count == 1))) return new DeleteTarget(item, lun.TargetIqn);
        return ours ? new DeleteLun(item, lun.TargetIqn, index) : null;
    }

    /// <summary>
    /// The Shared target goes with its last LUN: when no row still uses it (<paramref name="remaining"/>) and the plan
    /// already removes every LUN and ACL it holds, a DeleteTarget is added, so removing every LUN leaves nothing behind.
    /// A target still holding anything the plan does not remove (someone else's LUN or ACL) stays.
    /// </summary>
    public static void RetireEmptySharedTarget(LioConfig live, Backend b, IEnumerable<Lun> remaining, List<LioChange> plan)
    {
        var target = b.SharedTargetIqn;
        if (b.Mode != TargetMode.Shared || live.FindTarget(target) is not { } t || remaining.Any(r => r.TargetIqn == target)) return;
        var deletedSo = plan.OfType<DeleteStorageObject>().Select(d => $"/backstores/{d.Plugin}/{d.Name}").ToHashSet();
        bool LunGoes(TpgLun l) => deletedSo.Contains(l.StorageObject) || plan.OfType<DeleteLun>().Any(d => d.Target == target && d.Index == l.Index);
        bool AclGoes(NodeAcl a) => plan.OfType<DeleteNodeAcl>().Any(d => d.Target == target && d.Initiator == a.NodeWwn);
        // Only when this plan takes its last LUN: an already empty target is an orphan, removed with -RemoveOrphans.
        if (t.Tpgs.Any(tpg => tpg.Tag != 1) || t.Tpg1 is not { } tpg1 || tpg1.Luns.Count == 0 || !tpg1.Luns.All(LunGoes) || !tpg1.NodeAcls.All(AclGoes)) return;
        plan.Add(new DeleteTarget(LioChange.SharedItem, target));
    }
}
