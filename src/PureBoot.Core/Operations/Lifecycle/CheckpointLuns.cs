using System.Globalization;
using PureBoot.Core.Inventory;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>
/// Checkpoint-IscsiLun: a named snapshot of each LUN's disk, taken while it stays exported. FileIO: FICLONE of the LUN's
/// file (the kernel flushes the file's dirty pages, i.e. every write LIO acknowledged, and takes the inode locks, so
/// no write is half in it); Block: a thin snapshot (LVM suspends the origin, so in-flight I/O completes first). Either
/// way the snapshot is crash-consistent: what a power cut at that instant would have left. Rows are written as
/// Creating first; a crash leaves them for Sync-IscsiTarget, which rolls them back.
/// </summary>
internal sealed class CheckpointLuns(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;
    readonly BatchRunner _runner = new(ctx);

    /// <summary>What the run checks before anything is sent (the cmdlets' -WhatIf and per-item check): reads only.</summary>
    public List<LunWork> Check(IReadOnlyList<LunCheckpointRequest> requests, List<LunOutcome> outcomes) =>
        BatchRunner.Intake(requests, r => r.Lun, Prepare, outcomes);

    public async Task<IReadOnlyList<LunOutcome>> RunAsync(IReadOnlyList<LunCheckpointRequest> requests, CancellationToken ct)
    {
        var outcomes = new List<LunOutcome>();
        var works = Check(requests, outcomes);
        await _runner.RunPerBackendAsync(works, "checkpoint", (s, b, ws) => OnHostAsync(s, b, ws, ct), ct);
        return outcomes;
    }

    /// <summary>A default snapshot name: cp-yyyyMMdd-HHmmss (UTC).</summary>
    public static string DefaultName(DateTimeOffset now) => "cp-" + now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);

    LunWork? Prepare(LunCheckpointRequest r, LunOutcome o)
    {
        // Every value is checked before anything is looked up or sent.
        InputValidator.Name(r.Lun, "Lun");
        var name = InputValidator.Name(r.Snapshot ?? DefaultName(DateTimeOffset.UtcNow), "Snapshot");
        var description = InputValidator.Description(r.Description, "Description");
        var lun = _ctx.Lun(r.Lun, "Lun");
        o.Lun = lun;
        var b = _ctx.BackendOf(lun);
        DiskLayout.RequireLifecycle(b, "Lun");
        Usable(lun, "checkpointed");
        if (_ctx.Inventory.GetSnapshot(lun.Id, name) is not null)
            throw new InventoryConflictException($"LUN '{lun.Name}' already has a snapshot named '{name}'.", ConflictKind.AlreadyExists);
        var snapshot = new LunSnapshot
        {
            LunId = lun.Id, LunName = lun.Name, SnapshotName = name, BackendName = b.Name, Path = DiskLayout.SnapshotPath(b, lun.StorageObjectName!, name),
            SizeBytes = lun.SizeBytes, ImageId = lun.ImageId, ImageName = lun.ImageName, ImageVersion = lun.ImageVersion,
            Status = SnapshotStatus.Creating, Description = description,
        };
        o.Snapshot = snapshot;
        return new LunWork { Outcome = o, Row = lun, Backend = b, Request = snapshot };
    }

    /// <summary>A LUN whose disk may be copied or replaced: settled (Ready or Active, nothing in flight) and with its objects recorded.</summary>
    public static void Usable(Lun lun, string what)
    {
        if (lun.Status is not (LunStatus.Ready or LunStatus.Active) || lun.PendingOperation is not null || !lun.HasLioObjects || lun.BackingPath is null)
            throw new InventoryConflictException($"LUN '{lun.Name}' is {lun.Status}{(lun.PendingOperation is null ? "" : $" ({lun.PendingOperation} did not finish)")}; only a Ready or Active LUN can be {what}; run Sync-IscsiTarget {lun.BackendName}.");
    }

    static LunSnapshot SnapshotOf(LunWork w) => (LunSnapshot)w.Request!;

    async Task OnHostAsync(ITargetHostSession s, Backend b, List<LunWork> ws, CancellationToken ct)
    {
        // A checkpoint leaves LIO alone: the live state is read only when a copy's size must be known (no reflinks).
        var space = await Capacity.ReadGuardAsync(s, b, ct);
        var storage = space.CloneMethod is CloneMethod.Reflink or CloneMethod.ThinSnapshot ? Array.Empty<StorageEntry>() : (await s.SnapshotAsync(new SnapshotRequest(), ct)).Storage;
        var add = ws.Sum(w => Capacity.CloneCost(space, storage.FirstOrDefault(e => b.BackingPathPrefix + e.Name == w.Row.BackingPath)?.AllocatedBytes ?? w.Row.SizeBytes));
        try { Capacity.Ensure(b, space, add, "Lun"); }
        catch (InsufficientSpaceException e) { foreach (var w in ws) FailureMap.TryFail(w.Outcome, e); return; }

        try { _ctx.Inventory.Transact(t => { foreach (var w in ws) t.AddSnapshot(SnapshotOf(w)); }); }
        catch (InventoryConflictException e) { foreach (var w in ws) w.Fail(FailureKind.AlreadyExists, e.Message); return; }
        var steps = ws.SelectMany(w => DiskLayout.Clone(b, w.Key, w.Row.BackingPath!, SnapshotOf(w).Path, readOnly: true)).ToList();
        steps.Add(new SyncData(Lio.LioChange.SharedItem));
        var results = await s.RunStepsAsync(steps, ct);
        foreach (var r in results.Where(r => !r.Ok && r.Step.ItemKey != Lio.LioChange.SharedItem)) ws.First(w => w.Key == r.Step.ItemKey).Fail(FailureKind.TargetRejected, r.Message);
        foreach (var w in ws.Where(w => w.Ok))
        {
            var method = results.Where(r => r.Step.ItemKey == w.Key).Select(r => StepOutput.Method(r.Message)).FirstOrDefault(m => m.Length > 0) ?? "";
            if (method.StartsWith("copy", StringComparison.Ordinal)) w.Outcome.Warnings.Add($"snapshot '{SnapshotOf(w).SnapshotName}' of LUN '{w.Row.Name}' is a full copy ({method}), not a reflink.");
            SnapshotOf(w).Status = SnapshotStatus.Ready;
        }
        var failed = ws.Where(w => !w.Ok).ToList();
        var remains = await DiskLayout.RemoveExistingAsync(s, b, failed.Select(w => (w.Key, SnapshotOf(w).Path)).ToList(), ct);
        _ctx.Inventory.Transact(t =>
        {
            foreach (var w in ws)
            {
                var sn = SnapshotOf(w);
                var left = remains.ContainsKey(w.Key);
                if (w.Ok) t.SetSnapshotStatus(sn.Id, SnapshotStatus.Ready);
                else if (!left) t.DeleteSnapshot(sn.Id);
                t.WriteAudit(EngineContext.Audit("checkpoint-lun", "lun", w.Row.Name, w.Ok ? AuditOutcome.Success : AuditOutcome.Failure,
                    w.Ok ? $"snapshot '{sn.SnapshotName}' at {sn.Path}" : w.Outcome.Error + (left ? " (run Sync-IscsiTarget to remove what was left)" : "")));
            }
        });
        foreach (var w in failed) w.Outcome.Snapshot = null;
    }
}
