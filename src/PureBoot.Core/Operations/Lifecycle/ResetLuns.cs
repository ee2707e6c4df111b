using PureBoot.Core.Inventory;
using PureBoot.Core.Model;

namespace PureBoot.Core.Operations;

/// <summary>
/// Reset-IscsiLun (restore-on-reboot): discards each node's writes by giving its LUN a fresh clone of the image version
/// it records (grown to the LUN's size), in one batch per backend (<see cref="DiskReplacement"/>). Refused while the
/// node is logged in, unless Force.
/// </summary>
internal sealed class ResetLuns(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;

    /// <summary>What the run checks before anything is sent (the cmdlets' -WhatIf and per-item check): reads only.</summary>
    public List<LunWork> Check(IReadOnlyList<LunResetRequest> requests, List<LunOutcome> outcomes) =>
        BatchRunner.Intake(requests, r => r.Lun, Prepare, outcomes);

    public async Task<IReadOnlyList<LunOutcome>> RunAsync(IReadOnlyList<LunResetRequest> requests, CancellationToken ct)
    {
        var outcomes = new List<LunOutcome>();
        var works = Check(requests, outcomes);
        await new DiskReplacement(_ctx).RunAsync(works, "reset", ct);
        return outcomes;
    }

    LunWork? Prepare(LunResetRequest r, LunOutcome o)
    {
        var lun = _ctx.Lun(r.Lun, "Lun");
        o.Lun = lun;
        var b = _ctx.BackendOf(lun);
        DiskLayout.RequireLifecycle(b, "Lun");
        CheckpointLuns.Usable(lun, "reset");
        if (lun.ImageId is not { } id || _ctx.Inventory.GetImageById(id) is not { } image)
            throw new InventoryConflictException($"LUN '{lun.Name}' records no image to reset to; give it one with Update-IscsiLun {lun.Name} -Image NAME.");
        if (image.Status != ImageStatus.Ready) throw new InventoryConflictException($"image {image.Label} of LUN '{lun.Name}' is {image.Status}; run Sync-IscsiTarget {b.Name}.");
        return new LunWork
        {
            Outcome = o, Row = lun, Backend = b,
            Request = new Replacement
            {
                Source = image.Path, SourceSize = image.SizeBytes, SourceAllocated = image.AllocatedBytes, NewSize = Math.Max(lun.SizeBytes, image.SizeBytes),
                ImageId = image.Id, ImageName = image.Name, ImageVersion = image.Version, Force = r.Force,
                Operation = "reset-lun", What = $"fresh clone of image {image.Label} ({image.Path}); the node's writes were discarded",
                Pending = _ => new PendingOperation.Reset(image.Id),
            },
        };
    }
}
