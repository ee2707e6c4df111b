using PureBoot.Core.Lio;
using PureBoot.Core.Model;

namespace PureBoot.Core.Operations;

/// <summary>
/// Plans a node's access to LUNs, for create-and-assign and for assign alike: the node's ACL on the LUN's target
/// (made with the LUN's CHAP, or shared with the node's other LUNs there, whose credential the LUN then adopts) and a
/// mapped LUN at the lowest free index. In Shared mode a node's LUNs share its one ACL, so the first LUN's CHAP wins.
/// </summary>
internal sealed class AclPlanner
{
    readonly EngineContext _ctx;
    readonly LioConfig _live;
    readonly IReadOnlyList<Lun> _known;
    readonly Dictionary<(string Target, string Initiator), LunWork> _aclInBatch = new();
    readonly Dictionary<(string Target, string Initiator), HashSet<int>> _mappedInBatch = new();

    /// <param name="known">Every inventory row of the backend (partners are found among them).</param>
    public AclPlanner(EngineContext ctx, LioConfig live, IReadOnlyList<Lun> known)
    {
        _ctx = ctx;
        _live = live;
        _known = known;
    }

    public List<LioChange> Changes { get; } = new();

    /// <summary>Plans <paramref name="w"/>'s LUN into <paramref name="node"/>'s ACL; records the assignment on the row. False when the item failed.</summary>
    public bool Plan(LunWork w, Node node)
    {
        try { return PlanOrThrow(w, node); }
        catch (Exception e) when (FailureMap.TryFail(w.Outcome, e)) { return false; }
    }

    bool PlanOrThrow(LunWork w, Node node)
    {
        var lun = w.Row;
        var target = lun.TargetIqn!;
        var key = (target, node.InitiatorIqn);
        var acl = _live.FindTpg(target)?.FindAcl(node.InitiatorIqn);
        var partner = _known.FirstOrDefault(l => l.NodeId == node.Id && l.TargetIqn == target && l.Status == LunStatus.Active && l.Id != lun.Id)
                      ?? (_aclInBatch.TryGetValue(key, out var pw) ? pw.Row : null);
        if (partner is not null)
        {
            var asked = w.Request as LunCreateRequest;
            var force = asked?.AdoptSharedChap == true || (w.Request as LunAssignRequest)?.AdoptSharedChap == true;
            if (!force && SharedChap.Refusal(_ctx, lun, partner, node, asked) is { } refusal)
            {
                w.Fail(FailureKind.Conflict, refusal);
                return false;
            }
            var differed = _ctx.Chap.Adopt(lun, partner);
            w.Outcome.Warnings.Add($"LUN '{lun.Name}' shares node '{node.Name}''s ACL on {target} with LUN '{partner.Name}' and now uses its CHAP credential{(differed ? " (its own settings differed)" : "")}.");
        }
        w.Chap = _ctx.Chap.Open(lun);
        if (acl is null && !_aclInBatch.ContainsKey(key))
        {
            Changes.Add(new CreateNodeAcl(w.Key, target, node.InitiatorIqn));
            Changes.AddRange(AuthChanges(w.Key, target, node.InitiatorIqn, w.Chap, freshAcl: true));
            _aclInBatch[key] = w;
            w.CreatedAcl = true;
        }
        else if (acl is not null && partner is null)
        {
            // An ACL no inventory LUN of this node explains: take it over only if it maps nothing.
            if (acl.MappedLuns.Count > 0)
            {
                w.Fail(FailureKind.Conflict, $"ACL {node.InitiatorIqn} on {target} already maps {acl.MappedLuns.Count} LUNs PureBoot did not assign to node '{node.Name}'; run Sync-IscsiTarget.");
                return false;
            }
            Changes.AddRange(AuthChanges(w.Key, target, node.InitiatorIqn, w.Chap, freshAcl: false));
            _aclInBatch[key] = w;
        }
        if (!_mappedInBatch.TryGetValue(key, out var used))
            _mappedInBatch[key] = used = new HashSet<int>(acl?.MappedLuns.Select(m => m.Index) ?? Enumerable.Empty<int>());
        int index = 0; while (used.Contains(index)) index++;
        used.Add(index);
        lun.AssignTo(node, index);
        Changes.Add(new CreateMappedLun(w.Key, target, node.InitiatorIqn, index, lun.TpgLunIndex!.Value));
        return true;
    }

    /// <summary>
    /// The changes that give an ACL the LUN's CHAP settings. A new ACL starts at authentication=-1 and so inherits its
    /// TPG's 1 (PureBoot locks every TPG down so, and checks it): CHAP needs no attribute change there. A CHAP-less
    /// ACL always gets an explicit 0, an existing ACL an explicit setting.
    /// </summary>
    public static IEnumerable<LioChange> AuthChanges(string item, string target, string initiator, ChapSettings? chap, bool freshAcl)
    {
        if (chap is null) { yield return new SetNodeAclAuthentication(item, target, initiator, false); yield break; }
        if (!freshAcl) yield return new SetNodeAclAuthentication(item, target, initiator, true);
        yield return new SetNodeAclChap(item, target, initiator, chap);
    }
}
