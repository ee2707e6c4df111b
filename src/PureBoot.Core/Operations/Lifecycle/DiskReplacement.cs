using PureBoot.Core.Inventory;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;

namespace PureBoot.Core.Operations;

/// <summary>
/// Replaces LUNs' disks (restore from a snapshot, reset to the image, rollout to another image version, rollback), one
/// session per backend: check who is logged in and the space; write the rows as in flight (a rollout's snapshot row
/// first); a rollout snapshots the current disk; plan 1 deletes the storage objects (so no node can use a disk while
/// it changes); the new disks are cloned in one host-step exchange (each replaced atomically: old disk or new, never
/// half); plan 2 makes the storage objects, LUNs and mappings again at the same indexes; verdicts from the saved
/// config; rows and audit committed. A crash anywhere leaves the row pending for Sync-IscsiTarget, which finishes it
/// (<see cref="ContinueAsync"/>): the data step is idempotent and the LUN was unexported while it ran.
/// </summary>
internal sealed class DiskReplacement(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;
    readonly BatchRunner _runner = new(ctx);

    static Replacement Of(LunWork w) => ReplacementPlans.Of(w);

    public Task RunAsync(List<LunWork> works, string op, CancellationToken ct) =>
        _runner.RunPerBackendAsync(works, op, (s, b, ws) => OnHostAsync(s, b, ws, ct), ct);

    async Task OnHostAsync(ITargetHostSession s, Backend b, List<LunWork> ws, CancellationToken ct)
    {
        // Only these LUNs' objects are read fresh (the rest from the saved file, its shape checked against live):
        // a full read of a 256-LUN target costs ~4 s under TCG.
        var focus = new LiveFocus(
            ws.Where(w => w.Row.StorageObjectName is not null).Select(w => (b.StoragePlugin, w.Row.StorageObjectName!)).ToList(),
            ws.Where(w => w.Row.TargetIqn is not null && w.Row.TpgLunIndex is not null).Select(w => (w.Row.TargetIqn!, w.Row.TpgLunIndex!.Value)).ToList(),
            ws.Where(w => w.Row.TargetIqn is not null && w.Row.InitiatorIqn is not null).Select(w => (w.Row.TargetIqn!, w.Row.InitiatorIqn!)).ToList());
        // The storage listing (an lvs on Block) only prices a rollout's kept disk; the space probe runs beside the read.
        var snap = await s.SnapshotAsync(new SnapshotRequest(IncludeSessions: true, IncludeStorage: ws.Any(w => Of(w).Keep is not null), Focus: focus,
            Probes: new HostStep[] { Capacity.Guard(b) }), ct);
        var forced = new HashSet<(string, string)>();
        foreach (var w in ws) ReplacementPlans.Check(_ctx, snap, b, w, forced);
        var going = ws.Where(w => w.Ok).ToList();
        if (going.Count > 0)
        {
            var space = await Capacity.ReadAsync(s, b, snap, ct);
            var add = going.Sum(w => Capacity.CloneCost(space, Of(w).SourceAllocated)
                + (Of(w).Keep is null ? 0 : Capacity.CloneCost(space, snap.Storage.FirstOrDefault(e => b.BackingPathPrefix + e.Name == w.Row.BackingPath)?.AllocatedBytes ?? w.Row.SizeBytes)));
            try { Capacity.Ensure(b, space, add, "Name"); }
            catch (InsufficientSpaceException e) { foreach (var w in going) FailureMap.TryFail(w.Outcome, e); going.Clear(); }
        }
        if (going.Count == 0) return;   // refused before anything changed: nothing to write

        MarkInFlight(going);
        if (going.Any(w => Of(w).Keep is not null)) going = await KeepCurrentDisksAsync(s, b, going, ct);
        if (going.Count == 0) return;
        await ContinueAsync(s, b, snap.Live, going, forced, recovery: false, ct);
    }

    /// <summary>Rows go to in flight, and a rollout's snapshot row is added, in one transaction.</summary>
    void MarkInFlight(List<LunWork> going) => _ctx.Inventory.Transact(t =>
    {
        foreach (var w in going)
        {
            if (Of(w).Keep is { } keep) t.AddSnapshot(keep);
            w.Row.PendingOperation = Of(w).Pending(Of(w).Keep?.Id);
        }
        t.UpdateLuns(going.Select(w => w.Row).ToList());
    });

    /// <summary>Rollout: the current disks become their snapshots first; an item whose snapshot failed goes no further (nothing changed).</summary>
    async Task<List<LunWork>> KeepCurrentDisksAsync(ITargetHostSession s, Backend b, List<LunWork> going, CancellationToken ct)
    {
        var steps = going.Where(w => Of(w).Keep is not null).SelectMany(w => DiskLayout.Clone(b, w.Key, w.Row.BackingPath!, Of(w).Keep!.Path, readOnly: true)).ToList();
        foreach (var r in await s.RunStepsAsync(steps, ct))
            if (!r.Ok) going.First(w => w.Key == r.Step.ItemKey).Fail(FailureKind.TargetRejected, $"the current disk could not be kept as a snapshot: {r.Message}");
        var failed = going.Where(w => !w.Ok).ToList();
        if (failed.Count > 0) await UndoAsync(s, b, failed, ct);
        return going.Where(w => w.Ok).ToList();
    }

    /// <summary>
    /// From plan 1 on; also Sync-IscsiTarget's way to finish an interrupted replacement (<paramref name="recovery"/>:
    /// items already Replaced skip the clone, and mappings are left to the convergence that follows). The row's phase
    /// is written as it goes: Unexported once the storage object is gone, Replaced once the new disk is in place.
    /// </summary>
    public async Task ContinueAsync(ITargetHostSession s, Backend b, LioConfig before, List<LunWork> going, HashSet<(string, string)> forced, bool recovery, CancellationToken ct)
    {
        var plugin = b.StoragePlugin;
        static bool AlreadyReplaced(LunWork w) => w.Row.PendingOperation?.ReplacementPhase == ReplacePhase.Replaced;
        var toUnexport = going.Where(w => !AlreadyReplaced(w)).ToList();
        var deletes = ReplacementPlans.Deletes(b, before, toUnexport, forced);
        var afterDelete = deletes.Count > 0 ? (await _runner.ApplyAsync(s, deletes, ct)).Saved : before;
        var unexported = new List<LunWork>();
        foreach (var w in toUnexport)
        {
            if (afterDelete.FindStorageObject(plugin, w.Row.StorageObjectName!) is null) { unexported.Add(w); continue; }
            w.Fail(FailureKind.TargetRejected, $"storage object {plugin}/{w.Row.StorageObjectName} could not be deleted; the disk was not changed");
            w.Row.PendingOperation = null;
        }
        SetPhase(unexported, ReplacePhase.Unexported);
        var replaced = going.Where(AlreadyReplaced).ToHashSet();
        var steps = unexported.SelectMany(w => DiskLayout.Replace(b, w.Key, Of(w).Source, w.Row.BackingPath!, Of(w).SourceSize, Of(w).NewSize)).ToList();
        var results = steps.Count > 0 ? await s.RunStepsAsync(steps, ct) : Array.Empty<StepResult>();
        foreach (var w in unexported)
        {
            var mine = results.Where(r => r.Step.ItemKey == w.Key).ToList();
            // The replace step is atomic: when it failed the old disk is still there; it is exported again, nothing changed.
            if (mine.Any(r => r.Ok && r.Step is ReplaceFile or ReplaceThinVolume)) { replaced.Add(w); w.Row.SizeBytes = Of(w).NewSize; }
            else w.Row.PendingOperation = null;
            foreach (var r in mine.Where(r => !r.Ok)) w.Fail(FailureKind.TargetRejected, r.Message);
            foreach (var r in mine.Where(r => r.Ok && StepOutput.Method(r.Message).StartsWith("copy", StringComparison.Ordinal)))
                w.Outcome.Warnings.Add($"LUN '{w.Row.Name}''s new disk is a full copy ({StepOutput.Method(r.Message)}), not a reflink.");
        }
        SetPhase(replaced.Where(w => w.Row.PendingOperation is not null).ToList(), ReplacePhase.Replaced);
        var toExport = going.Where(w => afterDelete.FindStorageObject(plugin, w.Row.StorageObjectName!) is null).ToList();
        var creates = ReplacementPlans.Creates(b, before, afterDelete, toExport, forced);
        var saved = creates.Count > 0 ? (await _runner.ApplyAsync(s, creates, ct)).Saved : afterDelete;
        foreach (var w in going.Where(w => w.Ok))
        {
            var problem = recovery ? ExportChecks.Export(saved, b, w.Row) : ExportChecks.Verdict(saved, b, w.Row, w.Chap);
            if (problem is not null) w.Fail(FailureKind.TargetRejected, problem.Message + (replaced.Contains(w) ? "; the disk was replaced but is not exported as it should be: run Sync-IscsiTarget" : ""));
        }
        await CommitAsync(s, b, going, replaced, saved, recovery, ct);
    }

    /// <summary>Records how far the replacement of these rows got (before the next step, so a crash knows).</summary>
    void SetPhase(List<LunWork> ws, ReplacePhase phase)
    {
        if (ws.Count == 0) return;
        foreach (var w in ws) w.Row.PendingOperation = w.Row.PendingOperation!.WithPhase(phase);
        _ctx.Inventory.Transact(t => t.UpdateLuns(ws.Select(w => w.Row).ToList()));
    }

    async Task CommitAsync(ITargetHostSession s, Backend b, List<LunWork> going, HashSet<LunWork> replaced, LioConfig saved, bool recovery, CancellationToken ct)
    {
        // A rollout whose disk did not change keeps no snapshot of it.
        await UndoAsync(s, b, going.Where(w => !replaced.Contains(w)).ToList(), ct, commit: false);
        _ctx.Inventory.Transact(t =>
        {
            foreach (var w in going)
            {
                var r = Of(w); var row = w.Row;
                var exported = ExportChecks.Export(saved, b, row) is null;
                if (replaced.Contains(w) && (exported || recovery))
                {
                    // Sync-IscsiTarget's convergence (which runs next) exports a recovered disk again if this did not.
                    row.ImageId = r.ImageId; row.ImageName = r.ImageName; row.ImageVersion = r.ImageVersion;
                    if (r.Keep is not null) { row.PreviousSnapshotId = r.Keep.Id; row.PreviousSnapshot = r.Keep.SnapshotName; t.SetSnapshotStatus(r.Keep.Id, SnapshotStatus.Ready); r.Keep.Status = SnapshotStatus.Ready; }
                    if (r.RestoredSnapshotId is { } sid && row.PreviousSnapshotId == sid) { row.PreviousSnapshotId = null; row.PreviousSnapshot = null; }
                    row.PendingOperation = null;
                }
                row.Status = !exported && !recovery ? LunStatus.Error : row.NodeId is null ? LunStatus.Ready : LunStatus.Active;
                row.ErrorMessage = exported || recovery ? null : w.Outcome.Error;
                if (!replaced.Contains(w) && r.Keep is { Id: not 0 }) t.DeleteSnapshot(r.Keep.Id);
                t.WriteAudit(EngineContext.Audit(r.Operation, "lun", row.Name, w.Ok ? AuditOutcome.Success : AuditOutcome.Failure, w.Ok ? r.What : w.Outcome.Error));
            }
            t.UpdateLuns(going.Select(w => w.Row).ToList());
        });
        foreach (var w in going) { w.Outcome.Lun = w.Row; if (Of(w).Keep is { Id: not 0 } k && replaced.Contains(w)) w.Outcome.Snapshot = k; }
    }

    /// <summary>Items that changed nothing: their kept snapshots' data go (and, with <paramref name="commit"/>, their rows come back settled).</summary>
    async Task UndoAsync(ITargetHostSession s, Backend b, List<LunWork> failed, CancellationToken ct, bool commit = true)
    {
        var keeps = failed.Where(w => Of(w).Keep is { Id: not 0 }).ToList();
        var left = await DiskLayout.RemoveExistingAsync(s, b, keeps.Select(w => (w.Key, Of(w).Keep!.Path)).ToList(), ct);
        foreach (var w in keeps.Where(w => left.ContainsKey(w.Key))) w.Outcome.Warnings.Add($"{Of(w).Keep!.Path} could not be removed ({left[w.Key]}); Sync-IscsiTarget reports it.");
        if (!commit) return;
        _ctx.Inventory.Transact(t =>
        {
            foreach (var w in failed)
            {
                w.Row.PendingOperation = null;
                if (Of(w).Keep is { Id: not 0 } k) t.DeleteSnapshot(k.Id);
                t.WriteAudit(EngineContext.Audit(Of(w).Operation, "lun", w.Row.Name, AuditOutcome.Failure, w.Outcome.Error + " (nothing changed)"));
            }
            t.UpdateLuns(failed.Select(w => w.Row).ToList());
        });
        foreach (var w in failed) { if (Of(w).Keep is { } k) k.Id = 0; w.Outcome.Lun = w.Row; }
    }
}
