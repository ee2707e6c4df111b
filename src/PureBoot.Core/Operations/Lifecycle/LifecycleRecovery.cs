using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;

namespace PureBoot.Core.Operations;

/// <summary>
/// Sync-IscsiTarget's first step on a backend: finishes or cancels what the disk lifecycle left in flight, by the phase
/// its row recorded. A restore, reset or rollout still Started changed nothing (the phase moves on before the disk is
/// touched): it is cancelled, and a rollout's snapshot of the old disk removed. One that got to Unexported is finished:
/// the disk is replaced again (the clone step is idempotent and atomic) and exported. One that got to Replaced is only
/// exported and its lineage recorded. A LUN someone is logged in to is not touched. Images and snapshots left Creating
/// are rolled back, those left Deleting removed. The ordinary convergence runs afterwards.
/// </summary>
internal sealed class LifecycleRecovery
{
    readonly EngineContext _ctx;
    readonly Backend _b;
    readonly List<Lun> _luns;
    readonly List<DiskImage> _images;
    readonly List<LunSnapshot> _snapshots;
    readonly List<SyncAction> _actions = new();
    readonly List<LunWork> _finish = new();
    readonly List<(LunWork W, LunSnapshot Keep)> _rollBack = new();
    readonly List<(string Item, string Path, Action<Inventory.InventoryTransaction> Forget)> _removals = new();
    readonly List<LunOutcome> _outcomes = new();

    public LifecycleRecovery(EngineContext ctx, Backend b)
    {
        (_ctx, _b) = (ctx, b);
        _luns = ctx.Inventory.ListLunsOnTarget(b.Id).Where(l => l.PendingOperation is { ReplacesDisk: true }).ToList();
        _images = ctx.Inventory.ListImages(backendId: b.Id).Where(i => i.Status != ImageStatus.Ready).ToList();
        _snapshots = ctx.Inventory.ListSnapshots(backendId: b.Id).Where(x => x.Status != SnapshotStatus.Ready).ToList();
    }

    public bool HasWork => _luns.Count > 0 || _images.Count > 0 || _snapshots.Count > 0;

    /// <summary>Decides what to do from the live state (sessions) and which data exists; changes nothing.</summary>
    public async Task<IReadOnlyList<SyncAction>> PlanAsync(ITargetHostSession s, CancellationToken ct)
    {
        if (!HasWork) return _actions;
        var snap = await s.SnapshotAsync(new SnapshotRequest(IncludeSessions: true), ct);
        var keeps = new HashSet<long>();
        foreach (var lun in _luns) PlanLun(snap, lun, keeps);
        foreach (var i in _images)
        {
            _removals.Add((i.Label, i.Path, t => t.DeleteImage(i.Id)));
            Act(i.Status == ImageStatus.Creating ? SyncActionKind.RollBack : SyncActionKind.Finish, "image " + i.Label,
                i.Status == ImageStatus.Creating ? "roll back the interrupted registration (its data is removed)" : "finish the interrupted removal");
        }
        foreach (var x in _snapshots.Where(x => !keeps.Contains(x.Id)))
        {
            _removals.Add((x.ToString(), x.Path, t => t.DeleteSnapshot(x.Id)));
            Act(x.Status == SnapshotStatus.Creating ? SyncActionKind.RollBack : SyncActionKind.Finish, $"snapshot {x}",
                x.Status == SnapshotStatus.Creating ? "roll back the interrupted checkpoint (its data is removed)" : "finish the interrupted removal", x.LunName);
        }
        _snapshot = snap;
        return _actions;
    }

    HostSnapshot? _snapshot;

    void Act(SyncActionKind k, string obj, string what, string? lun = null) => _actions.Add(new SyncAction(k, obj, what, lun));

    void PlanLun(HostSnapshot snap, Lun lun, HashSet<long> keeps)
    {
        var w = new LunWork { Outcome = new LunOutcome { Name = lun.Name, Lun = lun }, Row = lun, Backend = _b };
        _outcomes.Add(w.Outcome);
        var pending = lun.PendingOperation!;
        var keep = pending is PendingOperation.Rollout ro ? _ctx.Inventory.GetSnapshotById(ro.SnapshotId) : null;
        if (keep is not null) keeps.Add(keep.Id);
        if (pending.ReplacementPhase == ReplacePhase.Started)
        {
            // The replace step never ran (Unexported is recorded first): nothing changed. Cancel.
            _rollBack.Add((w, keep!));
            Act(SyncActionKind.RollBack, lun.Name, $"the interrupted {pending} had not changed the disk: it is cancelled{(keep is null ? "" : $" (snapshot '{keep.SnapshotName}' is removed)")}", lun.Name);
            return;
        }
        var r = Rebuild(lun, pending, keep);
        if (r is null)
        {
            // Its source is gone; the replace step is atomic, so the disk is whole (old or new): it is exported as it is.
            _rollBack.Add((w, null!));
            Act(SyncActionKind.RollBack, lun.Name, $"the interrupted {pending} cannot be finished (the snapshot or image it came from is gone); the disk is exported as it is", lun.Name);
            return;
        }
        var soPath = _b.StorageObjectPath(lun.StorageObjectName ?? "");
        var session = pending.ReplacementPhase == ReplacePhase.Unexported && snap.Live.FindStorageObject(_b.StoragePlugin, lun.StorageObjectName ?? "") is not null
            ? snap.Sessions.FirstOrDefault(x => x.TargetIqn == lun.TargetIqn && x.Sees(soPath)) : null;
        if (session is not null)
        {
            w.Fail(FailureKind.Conflict, $"{session.InitiatorIqn} is logged in to it: its interrupted {pending} was left alone; shut the node down and run Sync-IscsiTarget again.");
            Act(SyncActionKind.Fail, lun.Name, $"the interrupted {pending} cannot be finished while {session.InitiatorIqn} is logged in", lun.Name);
            return;
        }
        _finish.Add(new LunWork { Outcome = w.Outcome, Row = lun, Backend = _b, Request = r });
        Act(SyncActionKind.Finish, lun.Name, pending.ReplacementPhase == ReplacePhase.Replaced
            ? $"finish the interrupted {pending}: the new disk is in place; export it and record its lineage"
            : $"finish the interrupted {pending}: replace the disk from {r.Source} and export it again", lun.Name);
    }

    /// <summary>The replacement a pending operation was doing, or null when its source is gone.</summary>
    Replacement? Rebuild(Lun lun, PendingOperation pending, LunSnapshot? keep)
    {
        switch (pending)
        {
            case PendingOperation.Restore p:
                return _ctx.Inventory.GetSnapshotById(p.SnapshotId) is { } sn ? RestoreLuns.For(lun, sn, force: false, rollback: false) with { What = $"finished by Sync-IscsiTarget: restored snapshot '{sn.SnapshotName}'" } : null;
            case PendingOperation.Reset p when _ctx.Inventory.GetImageById(p.ImageId) is { } img:
                return new Replacement
                {
                    Source = img.Path, SourceSize = img.SizeBytes, SourceAllocated = img.AllocatedBytes, NewSize = Math.Max(lun.SizeBytes, img.SizeBytes),
                    ImageId = img.Id, ImageName = img.Name, ImageVersion = img.Version, Operation = "reset-lun",
                    What = $"finished by Sync-IscsiTarget: fresh clone of image {img.Label}", Pending = _ => p,
                };
            case PendingOperation.Rollout p when keep is not null && _ctx.Inventory.GetImageById(p.ImageId) is { } image:
                return new Replacement
                {
                    Source = image.Path, SourceSize = image.SizeBytes, SourceAllocated = image.AllocatedBytes, NewSize = Math.Max(lun.SizeBytes, image.SizeBytes),
                    ImageId = image.Id, ImageName = image.Name, ImageVersion = image.Version, Keep = keep, Operation = "update-lun-image",
                    What = $"finished by Sync-IscsiTarget: moved to {image.Label}; the previous disk is snapshot '{keep.SnapshotName}'", Pending = _ => p,
                };
            default:
                return null;
        }
    }

    /// <summary>Carries the plan out; returns the LUNs' outcomes (a failure names why).</summary>
    public async Task<IReadOnlyList<LunOutcome>> RunAsync(ITargetHostSession s, CancellationToken ct)
    {
        if (_snapshot is null) return _outcomes;
        var keepsToRemove = _rollBack.Where(x => x.Keep is not null)
            .Select(x => (Item: x.W.Key, x.Keep.Path, Forget: (Action<Inventory.InventoryTransaction>)(t => t.DeleteSnapshot(x.Keep.Id))));
        var removals = _removals.Concat(keepsToRemove).ToList();
        var left = await DiskLayout.RemoveExistingAsync(s, _b, removals.Select(x => (x.Item, x.Path)).ToList(), ct);
        _ctx.Inventory.Transact(t =>
        {
            foreach (var (item, _, forget) in removals.Where(x => !left.ContainsKey(x.Item))) forget(t);
            foreach (var (w, _) in _rollBack) { w.Row.PendingOperation = null; w.Row.ErrorMessage = null; }
            if (_rollBack.Count > 0) t.UpdateLuns(_rollBack.Select(x => x.W.Row).ToList());
        });
        foreach (var (item, why) in left) _outcomes.Add(new LunOutcome { Name = item }.WithFailure(FailureKind.TargetRejected, $"{item}: {why}"));
        if (_finish.Count > 0)
        {
            var forced = new HashSet<(string, string)>();
            foreach (var w in _finish) w.Chap = _ctx.Chap.Open(w.Row);
            await new DiskReplacement(_ctx).ContinueAsync(s, _b, _snapshot.Live, _finish, forced, recovery: true, ct);
        }
        return _outcomes;
    }
}

internal static class OutcomeExtensions
{
    public static LunOutcome WithFailure(this LunOutcome o, FailureKind kind, string message) { o.Fail(kind, message); return o; }
}
