using PureBoot.Core.Inventory;
using PureBoot.Core.Model;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>
/// Restore-IscsiLun: each LUN's disk becomes (a clone of) one of its snapshots again, with the size and lineage it had
/// then; the snapshot stays. LUN numbers, ACL and CHAP stay the same (<see cref="DiskReplacement"/>). Refused while a
/// node is logged in, unless Force (its session is dropped first).
/// </summary>
internal sealed class RestoreLuns(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;

    /// <summary>What the run checks before anything is sent (the cmdlets' -WhatIf and per-item check): reads only.</summary>
    public List<LunWork> Check(IReadOnlyList<LunRestoreRequest> requests, List<LunOutcome> outcomes) =>
        BatchRunner.Intake(requests, r => r.Lun, Prepare, outcomes);

    public async Task<IReadOnlyList<LunOutcome>> RunAsync(IReadOnlyList<LunRestoreRequest> requests, CancellationToken ct)
    {
        var outcomes = new List<LunOutcome>();
        var works = Check(requests, outcomes);
        await new DiskReplacement(_ctx).RunAsync(works, "restore", ct);
        return outcomes;
    }

    LunWork? Prepare(LunRestoreRequest r, LunOutcome o)
    {
        // Both names are checked before any lookup (hostile input is refused as such, not as NotFound).
        InputValidator.Name(r.Lun, "Lun");
        InputValidator.Name(r.Snapshot, "Snapshot");
        var lun = _ctx.Lun(r.Lun, "Lun");
        o.Lun = lun;
        var snapshot = _ctx.Snapshot(lun, r.Snapshot);
        var b = _ctx.BackendOf(lun);
        DiskLayout.RequireLifecycle(b, "Lun");
        CheckpointLuns.Usable(lun, "restored");
        if (snapshot.Status != SnapshotStatus.Ready) throw new InventoryConflictException($"snapshot '{snapshot.SnapshotName}' of LUN '{lun.Name}' is {snapshot.Status}; run Sync-IscsiTarget {b.Name}.");
        o.Snapshot = snapshot;
        return new LunWork { Outcome = o, Row = lun, Backend = b, Request = For(lun, snapshot, r.Force, rollback: false) };
    }

    /// <summary>The replacement that brings a snapshot back (also Update-IscsiLun -Rollback's).</summary>
    public static Replacement For(Lun lun, LunSnapshot snapshot, bool force, bool rollback) => new()
    {
        Source = snapshot.Path, SourceSize = snapshot.SizeBytes, SourceAllocated = snapshot.SizeBytes, NewSize = snapshot.SizeBytes,
        ImageId = snapshot.ImageId, ImageName = snapshot.ImageName, ImageVersion = snapshot.ImageVersion,
        RestoredSnapshotId = snapshot.Id, Force = force,
        Operation = rollback ? "rollback-lun" : "restore-lun",
        What = $"{(rollback ? "rolled back to" : "restored")} snapshot '{snapshot.SnapshotName}' ({snapshot.Path}){(snapshot.Image is null ? "" : $", image {snapshot.Image}")}",
        Pending = _ => new PendingOperation.Restore(snapshot.Id),
    };
}
