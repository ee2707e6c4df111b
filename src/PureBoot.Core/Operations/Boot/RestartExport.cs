using PureBoot.Core.Inventory;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>Which kind of object RestartExportAsync's name is.</summary>
public enum ExportScope
{
    /// <summary>A LUN or a node, whichever has the name (refused when both do and they mean different LUNs).</summary>
    Auto,
    Lun,
    Node,
}

/// <summary>
/// Restart-IscsiTarget: drops and restores the export of one LUN, or of every LUN assigned to a node, in one plan per
/// backend, so that the node's iSCSI sessions end and it logs in again to the same data. Shared: the node's ACL (with
/// its CHAP and every mapped LUN) is deleted and made again; a LUN no node has gets its TPG LUN made again. PerLun:
/// the LUN's whole target is deleted and made again. The storage object and its data are never touched. In Shared
/// mode a node's LUNs share its ACL, so restarting one restarts them all: each is reported, with a warning.
/// </summary>
internal sealed class RestartExport(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;
    readonly BatchRunner _runner = new(ctx);

    public async Task<IReadOnlyList<LunOutcome>> RunAsync(string lunOrNodeName, ExportScope scope, CancellationToken ct)
    {
        List<Lun> luns;
        try { luns = Resolve(lunOrNodeName, scope); }
        catch (Exception e) when (FailureMap.KindOf(e) is not null) { return FailureMap.Failed(lunOrNodeName, e); }

        // In Shared mode the node's ACL carries all its LUNs on that target: they restart together.
        var requested = luns.Select(l => l.Id).ToHashSet();
        foreach (var l in luns.ToList())
        {
            if (l.Status != LunStatus.Active || l.NodeId is null) continue;
            var b = _ctx.BackendOf(l);
            if (b.Mode != TargetMode.Shared) continue;
            foreach (var partner in _ctx.Inventory.ListLunsOnTarget(b.Id).Where(p => p.NodeId == l.NodeId && p.TargetIqn == l.TargetIqn && p.Status == LunStatus.Active))
                if (luns.All(x => x.Id != partner.Id)) luns.Add(partner);
        }
        var outcomes = new List<LunOutcome>();
        var works = new List<LunWork>();
        foreach (var l in luns)
        {
            var o = new LunOutcome { Name = l.Name, Lun = l };
            outcomes.Add(o);
            if (!requested.Contains(l.Id))
                o.Warnings.Add($"LUN '{l.Name}' shares node '{l.NodeName}''s ACL on {l.TargetIqn}, so its export was restarted too.");
            if (l.Status is not (LunStatus.Ready or LunStatus.Active) || l.PendingOperation is not null)
            {
                o.Fail(FailureKind.Conflict, $"LUN '{l.Name}' is {l.Status}{(l.PendingOperation is null ? "" : $" ({l.PendingOperation} did not finish)")}; only a Ready or Active LUN's export can be restarted; run Sync-IscsiTarget.");
                continue;
            }
            works.Add(new LunWork { Outcome = o, Row = l, Backend = _ctx.BackendOf(l) });
        }
        await _runner.RunPerBackendAsync(works, "restart", (s, b, ws) => OnHostAsync(s, b, ws, ct), ct);
        return outcomes;
    }

    List<Lun> Resolve(string name, ExportScope scope)
    {
        var param = scope switch { ExportScope.Lun => "Lun", ExportScope.Node => "Node", _ => "Name" };
        var n = InputValidator.Name(name, param);
        var lun = scope == ExportScope.Node ? null : _ctx.Inventory.GetLun(n);
        var node = scope == ExportScope.Lun ? null : _ctx.Inventory.GetNode(n);
        var nodeLuns = node is null ? null : _ctx.Inventory.ListLuns().Where(l => l.NodeId == node.Id).OrderBy(l => l.Name, StringComparer.Ordinal).ToList();
        if (lun is not null && nodeLuns is { Count: > 0 } && !(nodeLuns.Count == 1 && nodeLuns[0].Id == lun.Id))
            throw new ValidationException(param, $"'{n}' is both a LUN and a node with other LUNs; say which one (-Lun or -Node).");
        if (lun is not null) return new() { lun };
        if (nodeLuns is not null)
        {
            if (nodeLuns.Count == 0) throw new InventoryNotFoundException($"Node '{node!.Name}' has no LUN assigned; there is no export to restart.");
            return nodeLuns;
        }
        throw new InventoryNotFoundException(scope switch
        {
            ExportScope.Lun => $"No LUN named '{n}'.",
            ExportScope.Node => $"No node named '{n}'.",
            _ => $"No LUN or node named '{n}'.",
        });
    }

    async Task OnHostAsync(ITargetHostSession s, Backend b, List<LunWork> ws, CancellationToken ct)
    {
        var live = (await s.SnapshotAsync(new SnapshotRequest(IncludeStorage: false), ct)).Live;
        foreach (var w in ws) CheckAsRecorded(live, b, w);
        if (b.Mode == TargetMode.Shared) HoldSharedAclsTogether(live, ws);
        var going = ws.Where(w => w.Ok).ToList();
        if (going.Count == 0) { _runner.Commit(ws, "restart-export", w => w.Outcome.Error); return; }

        _runner.MarkInFlight(going, PendingOperation.Restart);   // a crash leaves "restart" pending for Sync-IscsiTarget
        var changes = Plan(b, going);
        _ctx.Report("Restarting exports", $"applying {changes.Count} changes on {b.Name}", 40);
        var run = await _runner.ApplyAsync(s, changes, ct);
        foreach (var w in going)
        {
            if (ExportChecks.Verdict(run.Saved, b, w.Row, w.Chap) is { } problem)
            {
                w.Fail(FailureKind.TargetRejected, BatchRunner.Explain(problem, run, w.Key) + " (the data is untouched; run Sync-IscsiTarget to export it again)");
                w.Row.SetError(w.Outcome.Error);
                continue;
            }
            w.Row.PendingOperation = null; w.Row.ErrorMessage = null;
        }
        _runner.Commit(ws, "restart-export", w => w.Ok
            ? (b.Mode == TargetMode.PerLun ? $"re-created target {w.Row.TargetIqn}" : w.Row.Status == LunStatus.Active ? $"re-created ACL {w.Row.InitiatorIqn} and mapped LUN {w.Row.MappedLunIndex}" : $"re-created LUN {w.Row.TpgLunIndex} of {w.Row.TargetIqn}")
            : w.Outcome.Error);
    }

    /// <summary>A restart makes again what is recorded, it does not repair: the export must be as recorded first.</summary>
    void CheckAsRecorded(LioConfig live, Backend b, LunWork w)
    {
        var lun = w.Row;
        if (ExportChecks.Export(live, b, lun) is { } problem) { w.Fail(FailureKind.TargetRejected, $"LUN '{lun.Name}' is not exported as recorded ({problem}); run Sync-IscsiTarget."); return; }
        if (lun.Status == LunStatus.Active)
        {
            try { w.Chap = _ctx.Chap.Open(lun); }
            catch (Exception e) when (FailureMap.TryFail(w.Outcome, e)) { return; }
            var mapping = lun.InitiatorIqn is null || lun.MappedLunIndex is null ? "no mapping is recorded"
                : ExportChecks.Mapping(live, lun, lun.InitiatorIqn, lun.MappedLunIndex.Value, w.Chap)?.Message;
            if (mapping is not null) { w.Fail(FailureKind.TargetRejected, $"LUN '{lun.Name}' is not mapped as recorded ({mapping}); run Sync-IscsiTarget."); return; }
        }
        var others = ExportChecks.OtherInitiatorsSeeing(live, lun, lun.Status == LunStatus.Active ? lun.InitiatorIqn : null).ToList();
        if (others.Count > 0) { w.Fail(FailureKind.Conflict, $"LUN '{lun.Name}' is also mapped for {string.Join(", ", others)}; run Sync-IscsiTarget."); return; }
        if (b.Mode != TargetMode.PerLun) return;
        // The whole target goes: it must hold nothing but this LUN and its node's ACL.
        var target = live.FindTarget(lun.TargetIqn!)!;
        var tpg = target.Tpg1!;
        var strangers = tpg.Luns.Where(l => l.Index != lun.TpgLunIndex).Select(l => $"LUN {l.Index}")
            .Concat(tpg.NodeAcls.Where(a => lun.Status != LunStatus.Active || a.NodeWwn != lun.InitiatorIqn).Select(a => $"ACL {a.NodeWwn}"))
            .Concat(target.Tpgs.Where(t => t.Tag != 1).Select(t => $"TPG {t.Tag}")).ToList();
        if (lun.Status == LunStatus.Active && tpg.FindAcl(lun.InitiatorIqn!) is { } own && own.MappedLuns.Count != 1)
            strangers.Add($"{own.MappedLuns.Count - 1} more mapped LUNs of ACL {own.NodeWwn}");
        if (strangers.Count > 0) w.Fail(FailureKind.Conflict, $"target {lun.TargetIqn} also holds {string.Join(", ", strangers)}, which PureBoot did not make; run Sync-IscsiTarget.");
    }

    /// <summary>A Shared ACL is made again whole: if one of its LUNs cannot go, none of them does.</summary>
    static void HoldSharedAclsTogether(LioConfig live, List<LunWork> ws)
    {
        foreach (var grp in ws.Where(w => w.Row.Status == LunStatus.Active).GroupBy(w => (w.Row.TargetIqn, w.Row.InitiatorIqn)))
        {
            var bad = grp.FirstOrDefault(w => !w.Ok);
            if (bad is not null) foreach (var w in grp.Where(w => w.Ok)) w.Fail(FailureKind.Conflict, $"not restarted: LUN '{bad.Row.Name}', which shares its ACL, cannot be ({bad.Outcome.Error})");
            var acl = live.FindTpg(grp.Key.TargetIqn!)?.FindAcl(grp.Key.InitiatorIqn!);
            var ours = grp.Select(w => w.Row.MappedLunIndex).ToHashSet();
            var foreign = acl?.MappedLuns.Where(m => !ours.Contains(m.Index)).ToList() ?? new();
            if (foreign.Count > 0)
                foreach (var w in grp.Where(w => w.Ok))
                    w.Fail(FailureKind.Conflict, $"ACL {grp.Key.InitiatorIqn} on {grp.Key.TargetIqn} also maps {string.Join(", ", foreign.Select(m => $"mapped LUN {m.Index}"))}, which PureBoot did not assign; run Sync-IscsiTarget.");
        }
    }

    /// <summary>Every delete, then every create.</summary>
    static List<LioChange> Plan(Backend b, List<LunWork> going)
    {
        var deletes = new List<LioChange>();
        var creates = new List<LioChange>();
        if (b.Mode == TargetMode.PerLun)
            foreach (var w in going)
            {
                var lun = w.Row; var t = lun.TargetIqn!;
                deletes.Add(new DeleteTarget(w.Key, t));
                creates.AddRange(TargetShape.Ensure(LioConfig.Empty, b, t, w.Key));
                creates.Add(new CreateLun(w.Key, t, lun.TpgLunIndex!.Value, b.StoragePlugin, lun.StorageObjectName!));
                if (lun.Status != LunStatus.Active) continue;
                creates.Add(new CreateNodeAcl(w.Key, t, lun.InitiatorIqn!));
                creates.AddRange(AclPlanner.AuthChanges(w.Key, t, lun.InitiatorIqn!, w.Chap, freshAcl: true));
                creates.Add(new CreateMappedLun(w.Key, t, lun.InitiatorIqn!, lun.MappedLunIndex!.Value, lun.TpgLunIndex.Value));
            }
        else
        {
            foreach (var w in going.Where(w => w.Row.Status != LunStatus.Active))
            {
                var lun = w.Row;
                deletes.Add(new DeleteLun(w.Key, lun.TargetIqn!, lun.TpgLunIndex!.Value));
                creates.Add(new CreateLun(w.Key, lun.TargetIqn!, lun.TpgLunIndex.Value, b.StoragePlugin, lun.StorageObjectName!));
            }
            foreach (var grp in going.Where(w => w.Row.Status == LunStatus.Active).GroupBy(w => (T: w.Row.TargetIqn!, I: w.Row.InitiatorIqn!)))
            {
                var first = grp.OrderBy(w => w.Row.MappedLunIndex).First();
                deletes.Add(new DeleteNodeAcl(first.Key, grp.Key.T, grp.Key.I));
                creates.Add(new CreateNodeAcl(first.Key, grp.Key.T, grp.Key.I));
                creates.AddRange(AclPlanner.AuthChanges(first.Key, grp.Key.T, grp.Key.I, first.Chap, freshAcl: true));
                foreach (var w in grp.OrderBy(w => w.Row.MappedLunIndex))
                    creates.Add(new CreateMappedLun(w.Key, grp.Key.T, grp.Key.I, w.Row.MappedLunIndex!.Value, w.Row.TpgLunIndex!.Value));
            }
        }
        return deletes.Concat(creates).ToList();
    }
}
