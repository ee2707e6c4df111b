using PureBoot.Core.Inventory;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;

namespace PureBoot.Core.Operations;

/// <summary>
/// Replaces LUNs' disks (restore from a snapshot, reset to the image, rollout to another image version, rollback), one
/// session per backend: check who is logged in and the space; write the rows as in flight (a rollout's snapshot row
/// first); a rollout snapshots the current disk. Block: plan 1 deletes the storage objects (LVM will not remove a
/// volume in use); the new disks are cloned in one host-step exchange (the old volumes removed in one lvremove, then a
/// snapshot made under each name); plan 2 makes the storage objects, LUNs and mappings again at the same indexes. FileIO: the new files are
/// renamed over the old while LIO still serves those, then one plan makes the storage objects again
/// (<see cref="SwapFilesAsync"/>). Verdicts from the saved config; rows and audit committed. A crash anywhere leaves
/// the row pending for Sync-IscsiTarget, which finishes it (<see cref="ContinueAsync"/>): the data step is idempotent
/// and no node reads a disk while it changes.
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
        if (b.Storage == StorageKind.FileIO) { await SwapFilesAsync(s, b, before, going, forced, recovery, ct); return; }
        var plugin = b.StoragePlugin;
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
        var steps = new List<HostStep>();
        if (DiskLayout.RemoveOldVolumes(b, unexported.Select(w => w.Row.BackingPath!).ToList()) is { } removal) steps.Add(removal);
        steps.AddRange(unexported.SelectMany(w => DiskLayout.Replace(b, w.Key, Of(w).Source, w.Row.BackingPath!, Of(w).SourceSize, Of(w).NewSize)));
        var results = steps.Count > 0 ? await s.RunStepsAsync(steps, ct) : Array.Empty<StepResult>();
        // A disk whose old volume could not be removed is unchanged (exported again); one removed but not made again is lost.
        var lost = new HashSet<LunWork>();
        Judge(unexported, results, replaced, lost);
        SetPhase(replaced.Where(w => w.Row.PendingOperation is not null).ToList(), ReplacePhase.Replaced);
        var toExport = going.Where(w => !lost.Contains(w) && afterDelete.FindStorageObject(plugin, w.Row.StorageObjectName!) is null).ToList();
        var creates = ReplacementPlans.Creates(b, before, afterDelete, toExport, forced);
        var saved = creates.Count > 0 ? (await _runner.ApplyAsync(s, creates, ct)).Saved : afterDelete;
        Verdicts(b, going, replaced, saved, recovery);
        await CommitAsync(s, b, going, replaced, saved, recovery, ct, lost);
    }

    static bool AlreadyReplaced(LunWork w) => w.Row.PendingOperation?.ReplacementPhase == ReplacePhase.Replaced;

    /// <summary>
    /// FileIO: LIO holds a storage object's file open, so the new disk is renamed over the path while the storage object
    /// still serves the old one (unlinked, freed when the storage object goes); then one plan deletes and makes again the
    /// storage objects (and forced ACLs) and maps them as before: one plan instead of two (each reads and writes the
    /// saved file: ~0.5 s on a 256-LUN target under TCG). The node sees the old disk until its LUN goes and the new one
    /// once it is back (with -Force its session ends first: its ACL goes in a plan of its own and comes back in the
    /// last). A storage object whose unit serial (wwn) did not change was not made again: it still serves the
    /// old file, and the row stays pending (Replaced) for Sync-IscsiTarget, which makes it again.
    /// </summary>
    async Task SwapFilesAsync(ITargetHostSession s, Backend b, LioConfig before, List<LunWork> going, HashSet<(string, string)> forced, bool recovery, CancellationToken ct)
    {
        var plugin = b.StoragePlugin;
        // -Force: the nodes' sessions end before anything changes (their ACLs go; the last plan makes them again whole).
        var now = before;
        var dropAcls = ReplacementPlans.Deletes(b, before, Array.Empty<LunWork>(), forced);
        if (dropAcls.Count > 0) now = (await _runner.ApplyAsync(s, dropAcls, ct)).Saved;
        var replaced = going.Where(AlreadyReplaced).ToHashSet();
        var toReplace = going.Where(w => !replaced.Contains(w)).ToList();
        SetPhase(toReplace.Where(w => w.Row.PendingOperation?.ReplacementPhase == ReplacePhase.Started).ToList(), ReplacePhase.Unexported);   // from here a crash finishes it
        var steps = toReplace.SelectMany(w => DiskLayout.Replace(b, w.Key, Of(w).Source, w.Row.BackingPath!, Of(w).SourceSize, Of(w).NewSize)).ToList();
        var results = steps.Count > 0 ? await s.RunStepsAsync(steps, ct) : Array.Empty<StepResult>();
        Judge(toReplace, results, replaced);
        SetPhase(replaced.Where(w => w.Row.PendingOperation is not null).ToList(), ReplacePhase.Replaced);
        var swap = going.Where(replaced.Contains).ToList();
        var changes = ReplacementPlans.Swap(b, before, now, swap, going, forced);
        var saved = changes.Count > 0 ? (await _runner.ApplyAsync(s, changes, ct)).Saved : now;
        var stale = new HashSet<LunWork>();
        foreach (var w in swap)
        {
            var old = before.FindStorageObject(plugin, w.Row.StorageObjectName!);
            var made = saved.FindStorageObject(plugin, w.Row.StorageObjectName!);
            if (old is null || made is null || made.Wwn != old.Wwn) continue;
            stale.Add(w);
            w.Fail(FailureKind.TargetRejected, $"storage object {plugin}/{w.Row.StorageObjectName} could not be made again: it still serves the old disk, which was replaced; run Sync-IscsiTarget {b.Name}");
        }
        Verdicts(b, going, replaced, saved, recovery);
        await CommitAsync(s, b, going, replaced, saved, recovery, ct, stale);
    }

    /// <summary>
    /// What the replace steps did: a replaced item gets its new size; a failed one changed nothing (the FileIO step is
    /// atomic; a Block disk whose old volume the batch's removal left is untouched), except a Block disk whose old volume
    /// went and whose new one could not be made: it goes to <paramref name="lost"/> and stays pending for Sync-IscsiTarget.
    /// </summary>
    static void Judge(List<LunWork> ws, IReadOnlyList<StepResult> results, HashSet<LunWork> replaced, HashSet<LunWork>? lost = null)
    {
        var failedRemoval = results.FirstOrDefault(r => !r.Ok && r.Step is RemoveLogicalVolumes);
        foreach (var w in ws)
        {
            var mine = results.Where(r => r.Step.ItemKey == w.Key).ToList();
            if (mine.Any(r => r.Ok && r.Step is ReplaceFile or ReplaceThinVolume)) { replaced.Add(w); w.Row.SizeBytes = Of(w).NewSize; }
            else if (lost is not null && mine.Any(r => !r.Ok && r.Step is ReplaceThinVolume && ReplaceThinVolume.RemovedTheOld(r.Message)))
            {
                lost.Add(w);
                w.Fail(FailureKind.TargetRejected, $"LUN '{w.Row.Name}''s old disk was removed but the new one could not be made ({string.Join(" ", StepOutput.Lines(mine.First(r => !r.Ok).Message).Where(l => !ReplaceThinVolume.RemovedTheOld(l)))}); it is not exported: fix the cause and run Sync-IscsiTarget {w.Backend.Name}, which makes it");
                continue;
            }
            else w.Row.PendingOperation = null;
            if (failedRemoval is not null && mine.Any(r => r.Step is ReplaceThinVolume)
                && DiskLayout.Volume(w.Row.BackingPath!) is var volume && RemoveLogicalVolumes.NotRemoved(failedRemoval.Output).Contains(volume))
            {
                w.Fail(FailureKind.TargetRejected, $"LUN '{w.Row.Name}''s old volume could not be removed ({RemoveLogicalVolumes.Said(failedRemoval, volume)}); the disk was not changed");
                continue;
            }
            foreach (var r in mine.Where(r => !r.Ok)) w.Fail(FailureKind.TargetRejected, r.Message);
            foreach (var r in mine.Where(r => r.Ok && StepOutput.Method(r.Message).StartsWith("copy", StringComparison.Ordinal)))
                w.Outcome.Warnings.Add($"LUN '{w.Row.Name}''s new disk is a full copy ({StepOutput.Method(r.Message)}), not a reflink.");
        }
    }

    /// <summary>Each item still going is judged from the saved config (a recovered one only needs to be exported; Sync's convergence maps it).</summary>
    static void Verdicts(Backend b, List<LunWork> going, HashSet<LunWork> replaced, LioConfig saved, bool recovery)
    {
        foreach (var w in going.Where(w => w.Ok))
        {
            var problem = recovery ? ExportChecks.Export(saved, b, w.Row) : ExportChecks.Verdict(saved, b, w.Row, w.Chap);
            if (problem is not null) w.Fail(FailureKind.TargetRejected, problem.Message + (replaced.Contains(w) ? "; the disk was replaced but is not exported as it should be: run Sync-IscsiTarget" : ""));
        }
    }

    /// <summary>Records how far the replacement of these rows got (before the next step, so a crash knows).</summary>
    void SetPhase(List<LunWork> ws, ReplacePhase phase)
    {
        if (ws.Count == 0) return;
        foreach (var w in ws) w.Row.PendingOperation = w.Row.PendingOperation!.WithPhase(phase);
        _ctx.Inventory.Transact(t => t.UpdateLuns(ws.Select(w => w.Row).ToList()));
    }

    /// <param name="unfinished">Disks left half replaced (FileIO: the storage object still serves the old file; Block: the old
    /// volume is gone, the new one not made): they stay pending and in Error, even in recovery, and keep a rollout's snapshot.</param>
    async Task CommitAsync(ITargetHostSession s, Backend b, List<LunWork> going, HashSet<LunWork> replaced, LioConfig saved, bool recovery, CancellationToken ct, HashSet<LunWork> unfinished)
    {
        // A rollout whose disk did not change keeps no snapshot of it.
        await UndoAsync(s, b, going.Where(w => !replaced.Contains(w) && !unfinished.Contains(w)).ToList(), ct, commit: false);
        _ctx.Inventory.Transact(t =>
        {
            foreach (var w in going)
            {
                var r = Of(w); var row = w.Row;
                var half = unfinished.Contains(w);
                var exported = ExportChecks.Export(saved, b, row) is null && !half;
                if (replaced.Contains(w) && (exported || recovery) && !half)
                {
                    // Sync-IscsiTarget's convergence (which runs next) exports a recovered disk again if this did not.
                    row.ImageId = r.ImageId; row.ImageName = r.ImageName; row.ImageVersion = r.ImageVersion;
                    if (r.Keep is not null) { row.PreviousSnapshotId = r.Keep.Id; row.PreviousSnapshot = r.Keep.SnapshotName; t.SetSnapshotStatus(r.Keep.Id, SnapshotStatus.Ready); r.Keep.Status = SnapshotStatus.Ready; }
                    if (r.RestoredSnapshotId is { } sid && row.PreviousSnapshotId == sid) { row.PreviousSnapshotId = null; row.PreviousSnapshot = null; }
                    row.PendingOperation = null;
                }
                row.Status = (!exported && !recovery) || half ? LunStatus.Error : row.NodeId is null ? LunStatus.Ready : LunStatus.Active;
                row.ErrorMessage = (exported || recovery) && !half ? null : w.Outcome.Error;
                if (!replaced.Contains(w) && !half && r.Keep is { Id: not 0 }) t.DeleteSnapshot(r.Keep.Id);
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
