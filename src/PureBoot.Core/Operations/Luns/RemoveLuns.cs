using PureBoot.Core.Inventory;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;

namespace PureBoot.Core.Operations;

/// <summary>
/// Remove-IscsiLun: one plan per backend unmaps and unexports the LUNs and deletes their storage objects (never one
/// another LUN still exports); the backing data goes afterwards, only once no storage object refers to it.
/// </summary>
internal sealed class RemoveLuns(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;
    readonly BatchRunner _runner = new(ctx);

    public async Task<IReadOnlyList<LunOutcome>> RunAsync(IReadOnlyList<LunRemoveRequest> requests, CancellationToken ct)
    {
        var outcomes = new List<LunOutcome>();
        var works = Check(requests, outcomes);
        await _runner.RunPerBackendAsync(works, "remove", (s, b, ws) => OnHostAsync(s, b, ws, ct), ct);
        return outcomes;
    }

    public List<LunWork> Check(IReadOnlyList<LunRemoveRequest> requests, List<LunOutcome> outcomes) =>
        BatchRunner.Intake(requests, r => r.Name, Prepare, outcomes, duplicateIsConflict: false);

    LunWork? Prepare(LunRemoveRequest r, LunOutcome o)
    {
        var lun = _ctx.Lun(r.Name);
        o.Lun = lun;
        if (lun.NodeId is not null && !r.Force)
            throw new InventoryConflictException($"LUN '{lun.Name}' is assigned to node '{lun.NodeName}'; unassign it first or use -Force.");
        if (_ctx.Inventory.ListSnapshots(lunLike: lun.Name) is { Count: > 0 } snapshots)
            throw new InventoryConflictException($"LUN '{lun.Name}' has {snapshots.Count} snapshots ({string.Join(", ", snapshots.Take(5).Select(x => x.SnapshotName))}); remove them first (Get-IscsiLunSnapshot {lun.Name} | Remove-IscsiLunSnapshot).");
        return new LunWork { Outcome = o, Row = lun, Backend = _ctx.BackendOf(lun), Request = r };
    }

    static LunRemoveRequest RequestOf(LunWork w) => (LunRemoveRequest)w.Request!;

    async Task OnHostAsync(ITargetHostSession s, Backend b, List<LunWork> ws, CancellationToken ct)
    {
        var live = (await s.SnapshotAsync(new SnapshotRequest(), ct)).Live;
        var plugin = b.StoragePlugin;
        foreach (var w in ws) { w.Row.Status = LunStatus.Deleting; w.Row.PendingOperation = new PendingOperation.Remove(RequestOf(w).KeepBackingFile); }
        _runner.Commit(ws, null, null);

        var changes = Unmapping.Plan(live, ws.Select(w => (w.Row, w.Key)));
        foreach (var w in ws)
            if (Unmapping.Unexport(live, b, w.Row, w.Key) is { } unexport) changes.Add(unexport);
        var deleting = new HashSet<string>(StringComparer.Ordinal);
        foreach (var w in ws)
        {
            var so = w.Row.StorageObjectName is null ? null : live.FindStorageObject(plugin, w.Row.StorageObjectName);
            if (so is null) continue;
            // Never delete a storage object another LUN (ours or not) still exports.
            var other = live.ExportersOf(so).FirstOrDefault(x => !(x.Target.Wwn == w.Row.TargetIqn && x.Lun.Index == w.Row.TpgLunIndex));
            if (other.Target is not null) { w.Outcome.Warnings.Add($"storage object {so.Path} is kept: {other.Target.Wwn} LUN {other.Lun.Index} still uses it"); continue; }
            changes.Add(new DeleteStorageObject(w.Key, plugin, so.Name));
            deleting.Add(so.Name);
        }
        var removing = ws.Select(w => w.Row.Id).ToHashSet();
        Unmapping.RetireEmptySharedTarget(live, b, _ctx.Inventory.ListLunsOnTarget(b.Id).Where(l => !removing.Contains(l.Id)), changes);
        var saved = changes.Count > 0 ? (await _runner.ApplyAsync(s, changes, ct)).Saved : live;

        var data = new List<(string ItemKey, string BackingPath, string StorageObjectName)>();
        foreach (var w in ws)
        {
            var lun = w.Row;
            var left = Leftovers(saved, b, lun, deleting);
            if (left.Count > 0) { w.Fail(FailureKind.TargetRejected, $"could not remove {string.Join(", ", left)}"); continue; }
            if (RequestOf(w).KeepBackingFile || lun.BackingPath is null || w.Outcome.Warnings.Count > 0) continue;
            // The backing data goes only once no storage object refers to it.
            if (saved.UsesDevice(lun.BackingPath)) { w.Outcome.Warnings.Add($"{lun.BackingPath} is kept: another storage object uses it"); continue; }
            data.Add((w.Key, lun.BackingPath, lun.StorageObjectName!));
        }
        var steps = BackingData.RemoveAll(b, data);
        if (steps.Count > 0)
            foreach (var (item, message) in BackingData.Failures(await s.RunStepsAsync(steps, ct), data))
                ws.First(w => w.Key == item).Fail(FailureKind.TargetRejected, message);

        var gone = ws.Where(w => w.Ok).ToList();
        var kept = ws.Where(w => !w.Ok).ToList();
        foreach (var w in kept) w.Row.SetError(w.Outcome.Error);
        _ctx.Inventory.Transact(t =>
        {
            if (gone.Count > 0) t.DeleteLuns(gone.Select(w => w.Row.Id).ToList());
            if (kept.Count > 0) t.UpdateLuns(kept.Select(w => w.Row).ToList());
            foreach (var w in ws)
                t.WriteAudit(EngineContext.Audit("remove-lun", "lun", w.Row.Name, w.Ok ? AuditOutcome.Success : AuditOutcome.Failure,
                    w.Ok ? string.Join("; ", w.Outcome.Warnings.DefaultIfEmpty(RequestOf(w).KeepBackingFile ? $"kept {w.Row.BackingPath}" : $"deleted {w.Row.BackingPath}")) : w.Outcome.Error));
        });
        foreach (var w in gone) { w.Outcome.Removed = true; w.Outcome.Lun = w.Row; }
        foreach (var w in kept) w.Outcome.Lun = w.Row;
    }

    /// <summary>What of the LUN is still on the target after the plan.</summary>
    static List<string> Leftovers(LioConfig saved, Backend b, Lun lun, HashSet<string> deleting)
    {
        var left = new List<string>();
        var plugin = b.StoragePlugin;
        if (lun.StorageObjectName is not null && deleting.Contains(lun.StorageObjectName) && saved.FindStorageObject(plugin, lun.StorageObjectName) is not null)
            left.Add($"storage object {plugin}/{lun.StorageObjectName}");
        if (b.Mode == TargetMode.PerLun && lun.TargetIqn is not null && saved.FindTpg(lun.TargetIqn) is { } st && st.Luns.All(l => l.Index == lun.TpgLunIndex))
            left.Add($"target {lun.TargetIqn}");
        if (lun.TpgLunIndex is { } i && saved.FindTpg(lun.TargetIqn ?? "")?.FindLun(i) is { } l && l.StorageObject.EndsWith("/" + lun.StorageObjectName, StringComparison.Ordinal))
            left.Add($"LUN {i} of {lun.TargetIqn}");
        left.AddRange(ExportChecks.OtherInitiatorsSeeing(saved, lun, null).Select(a => $"mapping for {a}"));
        return left;
    }
}
