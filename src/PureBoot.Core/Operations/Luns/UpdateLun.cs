using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>
/// Set-IscsiLun: a LUN's description and CHAP. For an assigned (Active) LUN the new credential is written to the node's
/// ACL at once; LUNs sharing that ACL (Shared mode) change with it.
/// </summary>
internal sealed class UpdateLun(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;
    readonly BatchRunner _runner = new(ctx);

    /// <summary>Validates and applies the change to the rows in memory (nothing written). Null when it failed.</summary>
    public List<LunWork>? Check(string name, string? description, ChapChange? chap, LunOutcome o)
    {
        try
        {
            InputValidator.Name(name, "Name");
            var newDescription = description is null ? null : InputValidator.Description(description, "Description");
            var lun = _ctx.Lun(name);
            o.Lun = lun;
            if (newDescription is not null) lun.Description = newDescription;
            var b = _ctx.BackendOf(lun);
            // LUNs that share this LUN's ACL share its credential: change them together.
            var group = lun.NodeId is null ? new List<Lun> { lun }
                : _ctx.Inventory.ListLunsOnTarget(b.Id).Where(l => l.NodeId == lun.NodeId && l.TargetIqn == lun.TargetIqn && l.Status == LunStatus.Active).ToList();
            group = group.Where(l => l.Id != lun.Id).Prepend(lun).ToList();
            if (chap is not null) ChapChanges.Apply(_ctx, group, chap);
            return group.Select(l => new LunWork { Outcome = l.Id == lun.Id ? o : new LunOutcome { Name = l.Name, Lun = l }, Row = l, Backend = b }).ToList();
        }
        catch (Exception e) when (FailureMap.TryFail(o, e)) { return null; }
    }

    public async Task<LunOutcome> RunAsync(string name, string? description, ChapChange? chap, CancellationToken ct)
    {
        var o = new LunOutcome { Name = name };
        if (Check(name, description, chap, o) is not { } ws) return o;
        var main = ws[0];
        if (chap is null || main.Row.Status != LunStatus.Active)
        {
            // Not exported to a node: the target holds no credential yet; assignment will use the new one.
            _runner.Commit(ws, chap is null ? "set-lun" : "set-lun-chap", _ => chap is null ? "description" : $"CHAP {main.Row.Chap}{(chap.Rotate ? ", rotated" : "")}");
            return o;
        }
        await _runner.RunOnBackendAsync(main.Backend, ws, "set-chap", s => OnHostAsync(s, ws, chap, ct), ct);
        return o;
    }

    async Task OnHostAsync(ITargetHostSession s, List<LunWork> ws, ChapChange chap, CancellationToken ct)
    {
        var main = ws[0]; var lun = main.Row;
        var live = (await s.SnapshotAsync(new SnapshotRequest(IncludeStorage: false), ct)).Live;
        var target = lun.TargetIqn!; var initiator = lun.InitiatorIqn!;
        var acl = live.FindTpg(target)?.FindAcl(initiator);
        if (acl is null) { main.Fail(FailureKind.TargetRejected, $"ACL {initiator} does not exist on {target}; run Sync-IscsiTarget."); return; }
        main.Chap = _ctx.Chap.Open(lun);
        var changes = new List<LioChange>();
        if ((!lun.ChapEnabled && acl.HasChap) || (!lun.MutualChapEnabled && acl.HasMutualChap))
        {
            // Make the ACL again: the way to drop a credential without relying on an executor's clearing syntax.
            changes.Add(new DeleteNodeAcl(main.Key, target, initiator));
            changes.Add(new CreateNodeAcl(main.Key, target, initiator));
            changes.AddRange(AclPlanner.AuthChanges(main.Key, target, initiator, main.Chap, freshAcl: true));
            changes.AddRange(acl.MappedLuns.Select(m => new CreateMappedLun(main.Key, target, initiator, m.Index, m.TpgLun, m.WriteProtect)));
        }
        else changes.AddRange(AclPlanner.AuthChanges(main.Key, target, initiator, main.Chap, freshAcl: false));
        _runner.MarkInFlight(ws, PendingOperation.SetChap);
        var run = await _runner.ApplyAsync(s, changes, ct);
        foreach (var x in ws)
        {
            if (ExportChecks.Mapping(run.Saved, x.Row, initiator, x.Row.MappedLunIndex!.Value, main.Chap) is { } problem)
                x.Fail(FailureKind.TargetRejected, BatchRunner.Explain(problem, run, main.Key));
            if (x.Ok) x.Row.PendingOperation = null;
            x.Row.Status = x.Ok ? LunStatus.Active : LunStatus.Error;
            x.Row.ErrorMessage = x.Outcome.Error;
        }
        // The ACL is shared: if the main LUN's credential is not there, none of the group's is.
        if (!main.Ok) foreach (var x in ws.Where(x => x.Ok)) { x.Fail(main.Outcome.Failure!.Value, main.Outcome.Error!); x.Row.SetError(main.Outcome.Error); }
        _runner.Commit(ws, "set-lun-chap", x => x.Ok ? $"CHAP {x.Row.Chap}{(chap.Rotate ? ", rotated" : "")}" : x.Outcome.Error);
    }
}
