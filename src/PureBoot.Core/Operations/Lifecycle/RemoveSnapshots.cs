using PureBoot.Core.Inventory;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>
/// Remove-IscsiLunSnapshot: deletes snapshots' data (the LUN is untouched) and their rows. Rows go to Deleting first, so
/// a crash leaves them for Sync-IscsiTarget to finish. A snapshot an interrupted restore or rollout still needs is refused.
/// </summary>
internal sealed class RemoveSnapshots(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;
    readonly BatchRunner _runner = new(ctx);

    public async Task<IReadOnlyList<LunOutcome>> RunAsync(IReadOnlyList<SnapshotRemoveRequest> requests, CancellationToken ct)
    {
        var outcomes = new List<LunOutcome>();
        var works = Check(requests, outcomes);
        await _runner.RunPerBackendAsync(works, "remove-snapshot", (s, b, ws) => OnHostAsync(s, b, ws, ct), ct);
        return outcomes;
    }

    /// <summary>What the run checks before anything is sent (the cmdlet's -WhatIf and per-item check): reads only.
    /// A snapshot named twice is removed once.</summary>
    public List<LunWork> Check(IReadOnlyList<SnapshotRemoveRequest> requests, List<LunOutcome> outcomes)
    {
        var works = new List<LunWork>();
        var seen = new HashSet<long>();
        foreach (var r in requests)
        {
            var o = new LunOutcome { Name = r.Lun };
            outcomes.Add(o);
            try
            {
                if (Prepare(r, o) is not { } w) continue;
                if (!seen.Add(((LunSnapshot)w.Request!).Id)) { o.Unchanged = true; continue; }
                works.Add(w);
            }
            catch (Exception e) when (FailureMap.TryFail(o, e)) { }
        }
        return works;
    }

    LunWork? Prepare(SnapshotRemoveRequest r, LunOutcome o)
    {
        // Both names are checked before any lookup (hostile input is refused as such, not as NotFound).
        InputValidator.Name(r.Lun, "Lun");
        InputValidator.Name(r.Snapshot, "Snapshot");
        var lun = _ctx.Lun(r.Lun, "Lun");
        o.Lun = lun;
        var snapshot = _ctx.Snapshot(lun, r.Snapshot);
        o.Snapshot = snapshot;
        if (lun.PendingOperation is PendingOperation.Restore rs && rs.SnapshotId == snapshot.Id || lun.PendingOperation is PendingOperation.Rollout ro && ro.SnapshotId == snapshot.Id)
            throw new InventoryConflictException($"snapshot '{snapshot.SnapshotName}' of LUN '{lun.Name}' is needed by its interrupted {lun.PendingOperation}; run Sync-IscsiTarget {lun.BackendName} first.");
        if (lun.PreviousSnapshotId == snapshot.Id)
            o.Warnings.Add($"snapshot '{snapshot.SnapshotName}' held LUN '{lun.Name}''s disk from before its last rollout: Update-IscsiLun -Rollback is no longer possible.");
        return new LunWork { Outcome = o, Row = lun, Backend = _ctx.BackendOf(lun), Request = snapshot };
    }

    async Task OnHostAsync(ITargetHostSession s, Backend b, List<LunWork> ws, CancellationToken ct)
    {
        _ctx.Inventory.Transact(t => { foreach (var w in ws) t.SetSnapshotStatus(((LunSnapshot)w.Request!).Id, SnapshotStatus.Deleting); });
        var left = await DiskLayout.RemoveExistingAsync(s, b, ws.Select(w => (w.Key + "@" + ((LunSnapshot)w.Request!).SnapshotName, ((LunSnapshot)w.Request!).Path)).ToList(), ct);
        _ctx.Inventory.Transact(t =>
        {
            foreach (var w in ws)
            {
                var sn = (LunSnapshot)w.Request!;
                if (left.TryGetValue(w.Key + "@" + sn.SnapshotName, out var why)) w.Fail(FailureKind.TargetRejected, $"snapshot '{sn.SnapshotName}' of LUN '{w.Row.Name}': {why} (it stays Deleting; run Sync-IscsiTarget)");
                else { t.DeleteSnapshot(sn.Id); w.Outcome.Removed = true; }
                t.WriteAudit(EngineContext.Audit("remove-snapshot", "lun", w.Row.Name, w.Ok ? AuditOutcome.Success : AuditOutcome.Failure,
                    w.Ok ? $"snapshot '{sn.SnapshotName}' ({sn.Path})" : w.Outcome.Error));
            }
        });
    }
}
