using PureBoot.Core.Inventory;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>
/// Resize-IscsiLun: grows a LUN, never shrinks it. Block: lvextend (LIO reads a block device's size live). FileIO: LIO
/// fixes a file's size when the storage object is made, so the file is grown and the storage object, LUN and
/// mappings are made again in one plan; the node's disk goes away for that moment, so grow while it is down.
/// </summary>
internal sealed class ResizeLun(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;
    readonly BatchRunner _runner = new(ctx);

    /// <summary>Validates the request against the inventory; null when there is nothing to send (failed, or already that size).</summary>
    public LunWork? Check(string name, long newSizeBytes, LunOutcome o)
    {
        try
        {
            InputValidator.Name(name, "Name");
            InputValidator.SizeBytes(newSizeBytes, "SizeBytes");
            var lun = _ctx.Lun(name);
            o.Lun = lun;
            if (newSizeBytes < lun.SizeBytes)
                throw new ValidationException("SizeBytes", $"LUN '{lun.Name}' is {lun.SizeBytes} bytes; shrinking to {newSizeBytes} would destroy data and is not supported.");
            if (newSizeBytes == lun.SizeBytes) { o.Unchanged = true; return null; }
            if (lun.Status is not (LunStatus.Ready or LunStatus.Active)) throw new InventoryConflictException($"LUN '{lun.Name}' is {lun.Status}; only a Ready or Active LUN can grow.");
            return new LunWork { Outcome = o, Row = lun, Backend = _ctx.BackendOf(lun) };
        }
        catch (Exception e) when (FailureMap.TryFail(o, e)) { return null; }
    }

    public async Task<LunOutcome> RunAsync(string name, long newSizeBytes, CancellationToken ct)
    {
        var o = new LunOutcome { Name = name };
        if (Check(name, newSizeBytes, o) is not { } w) return o;
        await _runner.RunOnBackendAsync(w.Backend, new() { w }, "resize", s => OnHostAsync(s, w, newSizeBytes, ct), ct);
        return o;
    }

    async Task OnHostAsync(ITargetHostSession s, LunWork w, long newSizeBytes, CancellationToken ct)
    {
        var b = w.Backend; var lun = w.Row;
        var snap = await s.SnapshotAsync(new SnapshotRequest(), ct);
        if (ExportChecks.Export(snap.Live, b, lun) is { } problem) { w.Fail(FailureKind.TargetRejected, $"LUN '{lun.Name}' is not exported as recorded ({problem}); run Sync-IscsiTarget."); return; }
        var oldSize = lun.SizeBytes;
        _runner.MarkInFlight(new[] { w }, new PendingOperation.Resize(newSizeBytes));
        if (b.Storage == StorageKind.Block) await ExtendVolumeAsync(s, w, newSizeBytes, ct);
        else await GrowFileAsync(s, w, snap.Live, newSizeBytes, ct);
        // A Block LUN is whatever lvextend made it; a FileIO LUN whose file grew but whose export failed needs Sync.
        if (w.Ok || b.Storage == StorageKind.Block) lun.PendingOperation = null;
        if (!w.Ok && b.Storage == StorageKind.FileIO && lun.SizeBytes != oldSize) lun.Status = LunStatus.Error;
        lun.ErrorMessage = w.Outcome.Error;
        _runner.Commit(new[] { w }, "resize-lun", _ => w.Ok ? $"{oldSize} -> {lun.SizeBytes} bytes" : w.Outcome.Error);
    }

    async Task ExtendVolumeAsync(ITargetHostSession s, LunWork w, long newSizeBytes, CancellationToken ct)
    {
        var b = w.Backend; var lun = w.Row;
        var r = (await s.RunStepsAsync(new HostStep[] { new ExtendLogicalVolume(w.Key, b.StoragePath, lun.StorageObjectName!, newSizeBytes) }, ct))[0];
        if (!r.Ok) { w.Fail(FailureKind.TargetRejected, r.Message); return; }
        var lv = (await s.SnapshotAsync(new SnapshotRequest(), ct)).Storage.FirstOrDefault(e => e.Name == lun.StorageObjectName);
        if (lv is null || lv.SizeBytes < newSizeBytes) w.Fail(FailureKind.TargetRejected, $"logical volume {b.StoragePath}/{lun.StorageObjectName} is {lv?.SizeBytes ?? 0} bytes after lvextend");
        else lun.SizeBytes = lv.SizeBytes;
    }

    async Task GrowFileAsync(ITargetHostSession s, LunWork w, LioConfig live, long newSizeBytes, CancellationToken ct)
    {
        var b = w.Backend; var lun = w.Row;
        var r = (await s.RunStepsAsync(new HostStep[] { new GrowFile(w.Key, lun.BackingPath!, newSizeBytes) }, ct))[0];
        if (!r.Ok) { w.Fail(FailureKind.TargetRejected, r.Message); return; }
        lun.SizeBytes = newSizeBytes;
        var changes = new List<LioChange>
        {
            new DeleteStorageObject(w.Key, "fileio", lun.StorageObjectName!),
            new CreateStorageObject(w.Key, "fileio", lun.StorageObjectName!, lun.BackingPath!),
        };
        if (b.Mode == TargetMode.PerLun) changes.AddRange(TargetShape.Ensure(live, b, lun.TargetIqn!, w.Key));
        changes.Add(new CreateLun(w.Key, lun.TargetIqn!, lun.TpgLunIndex!.Value, "fileio", lun.StorageObjectName!));
        // Deleting the storage object took every mapping of it with it: put each back as it was.
        foreach (var acl in live.FindTpg(lun.TargetIqn!)!.AclsMapping(lun.TpgLunIndex.Value))
            foreach (var m in acl.MappedLuns.Where(m => m.TpgLun == lun.TpgLunIndex))
                changes.Add(new CreateMappedLun(w.Key, lun.TargetIqn!, acl.NodeWwn, m.Index, m.TpgLun, m.WriteProtect));
        var run = await _runner.ApplyAsync(s, changes, ct);
        var bad = ExportChecks.Export(run.Saved, b, lun);
        if (bad is null && lun.NodeId is not null && run.Saved.FindTpg(lun.TargetIqn!)?.FindAcl(lun.InitiatorIqn!)?.MappedLuns.Any(m => m.Index == lun.MappedLunIndex && m.TpgLun == lun.TpgLunIndex) != true)
            bad = new LioProblem(LioProblemKind.MappedLunMissing, $"mapped LUN {lun.MappedLunIndex} of {lun.InitiatorIqn} was not restored");
        if (bad is not null) w.Fail(FailureKind.TargetRejected, BatchRunner.Explain(bad, run, w.Key) + " (the file was grown; run Sync-IscsiTarget to export it again)");
    }
}
