using PureBoot.Core.Inventory;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>
/// Set-IscsiLunAssignment: maps Ready LUNs into their nodes' ACLs (<see cref="AclPlanner"/>) in one plan per backend,
/// verified from the saved config; half-made mappings of failed items are removed in a follow-up exchange.
/// </summary>
internal sealed class AssignLuns(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;
    readonly BatchRunner _runner = new(ctx);

    public async Task<IReadOnlyList<LunOutcome>> RunAsync(IReadOnlyList<LunAssignRequest> requests, CancellationToken ct)
    {
        var outcomes = new List<LunOutcome>();
        var works = Check(requests, outcomes);
        await _runner.RunPerBackendAsync(works, "assign", (s, b, ws) => OnHostAsync(s, b, ws, ct), ct);
        return outcomes;
    }

    public List<LunWork> Check(IReadOnlyList<LunAssignRequest> requests, List<LunOutcome> outcomes) =>
        BatchRunner.Intake(requests, r => r.Lun, Prepare, outcomes);

    LunWork? Prepare(LunAssignRequest r, LunOutcome o)
    {
        InputValidator.Name(r.Lun, "Lun");
        InputValidator.Name(r.Node, "Node");
        var lun = _ctx.Lun(r.Lun, "Lun");
        var node = _ctx.Node(r.Node);
        o.Lun = lun;
        if (lun.Status == LunStatus.Active && lun.NodeId == node.Id) { o.Unchanged = true; return null; }   // already so
        if (lun.Status == LunStatus.Active) throw new InventoryConflictException($"LUN '{lun.Name}' is assigned to node '{lun.NodeName}'; unassign it first.");
        if (lun.Status != LunStatus.Ready) throw new InventoryConflictException($"LUN '{lun.Name}' is {lun.Status}; only a Ready LUN can be assigned.");
        return new LunWork { Outcome = o, Row = lun, Backend = _ctx.BackendOf(lun), AssignTo = node };
    }

    async Task OnHostAsync(ITargetHostSession s, Backend b, List<LunWork> ws, CancellationToken ct)
    {
        var live = (await s.SnapshotAsync(new SnapshotRequest(IncludeStorage: false), ct)).Live;
        var acls = new AclPlanner(_ctx, live, _ctx.Inventory.ListLunsOnTarget(b.Id));
        foreach (var w in ws)
        {
            if (ExportChecks.Export(live, b, w.Row) is { } problem) { w.Fail(FailureKind.TargetRejected, $"LUN '{w.Row.Name}' is not exported as recorded ({problem}); run Sync-IscsiTarget."); continue; }
            var others = ExportChecks.OtherInitiatorsSeeing(live, w.Row, null).ToList();
            if (others.Count > 0) { w.Fail(FailureKind.Conflict, $"LUN '{w.Row.Name}' is already mapped into ACLs {string.Join(", ", others)} on the target; run Sync-IscsiTarget."); continue; }
            acls.Plan(w, w.AssignTo!);
        }
        var going = ws.Where(w => w.Ok).ToList();
        if (going.Count == 0) { RollBack(ws); return; }
        // New ACLs inherit the TPG's authentication: make sure it is the locked-down 1 before they appear.
        var changes = going.Select(w => w.Row.TargetIqn!).Distinct()
            .Where(t => live.FindTpg(t) is { } tpg && !(tpg.Attribute("authentication") == "1" && tpg.Attribute("generate_node_acls") == "0"))
            .Select(t => (LioChange)SetTpgAttributes.LockDown(LioChange.SharedItem, t)).Concat(acls.Changes).ToList();
        _runner.MarkInFlight(going, PendingOperation.Assign);   // a crash leaves "assign" pending with the node recorded
        var run = await _runner.ApplyAsync(s, changes, ct);
        foreach (var w in going)
        {
            var problem = ExportChecks.Mapping(run.Saved, w.Row, w.Row.InitiatorIqn!, w.Row.MappedLunIndex!.Value, w.Chap) ?? ExportChecks.Leak(run.Saved, w.Row, w.Row.InitiatorIqn);
            if (problem is not null) w.Fail(FailureKind.TargetRejected, BatchRunner.Explain(problem, run, w.Key));
        }
        var final = await UndoFailedAsync(s, going, run.Saved, ct);
        foreach (var w in going)
        {
            if (w.Ok) { w.Row.Status = LunStatus.Active; w.Row.ErrorMessage = null; w.Row.PendingOperation = null; continue; }
            var stillThere = final.FindTpg(w.Row.TargetIqn!)?.FindAcl(w.Row.InitiatorIqn!)?.MappedLuns.Any(m => m.TpgLun == w.Row.TpgLunIndex) == true;
            w.Row.ErrorMessage = w.Outcome.Error + (stillThere ? " (the mapping could not be removed; run Sync-IscsiTarget)" : "");
            w.Row.Status = stillThere ? LunStatus.Error : LunStatus.Ready;
            if (!stillThere) { w.Row.ClearAssignment(); w.Row.PendingOperation = null; }
        }
        _runner.Commit(going, "assign-lun", w => w.Ok ? $"to {w.Row.NodeName} ({w.Row.InitiatorIqn}) as mapped LUN {w.Row.MappedLunIndex}, CHAP {w.Row.Chap}" : w.Outcome.Error);
        RollBack(ws.Except(going));
    }

    /// <summary>Removes half-made mappings (and ACLs the batch made that map nothing else) of failed items.</summary>
    async Task<LioConfig> UndoFailedAsync(ITargetHostSession s, List<LunWork> going, LioConfig saved, CancellationToken ct)
    {
        var cleanup = new List<LioChange>();
        foreach (var w in going.Where(w => !w.Ok))
        {
            var acl = saved.FindTpg(w.Row.TargetIqn!)?.FindAcl(w.Row.InitiatorIqn!);
            if (acl is null) continue;
            if (acl.FindMappedLun(w.Row.MappedLunIndex!.Value) is not null) cleanup.Add(new DeleteMappedLun(w.Key, w.Row.TargetIqn!, w.Row.InitiatorIqn!, w.Row.MappedLunIndex!.Value));
            var stillMapped = acl.MappedLuns.Count(m => m.Index != w.Row.MappedLunIndex);
            if (w.CreatedAcl && stillMapped == 0 && !going.Any(o => o.Ok && o.Row.InitiatorIqn == w.Row.InitiatorIqn && o.Row.TargetIqn == w.Row.TargetIqn))
                cleanup.Add(new DeleteNodeAcl(w.Key, w.Row.TargetIqn!, w.Row.InitiatorIqn!));
        }
        return cleanup.Count > 0 ? (await _runner.ApplyAsync(s, cleanup, ct)).Saved : saved;
    }

    /// <summary>Items that never went out: drop their unsaved changes and audit the failure.</summary>
    void RollBack(IEnumerable<LunWork> ws)
    {
        var list = ws.ToList();
        foreach (var w in list) { w.Row = _ctx.Inventory.GetLun(w.Row.Name) ?? w.Row; w.Outcome.Lun = w.Row; }
        if (list.Count > 0)
            _ctx.Inventory.Transact(t => { foreach (var w in list) t.WriteAudit(EngineContext.Audit("assign-lun", "lun", w.Row.Name, AuditOutcome.Failure, w.Outcome.Error)); });
    }
}
