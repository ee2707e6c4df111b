using PureBoot.Core.Inventory;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>
/// Remove-IscsiImage: deletes image versions' data and rows. A version LUNs still use is refused unless DetachLuns: their
/// disks are independent clones (reflinks or thin snapshots keep the shared blocks alive), so they only lose their
/// lineage (Reset-IscsiLun then has no image to go back to). A version an interrupted reset or rollout needs is refused.
/// </summary>
internal sealed class RemoveImages(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;

    public async Task<IReadOnlyList<LunOutcome>> RunAsync(ImageRemoveRequest r, CancellationToken ct)
    {
        List<DiskImage> images;
        Backend? b;
        try { (b, images) = Resolve(r); }
        catch (Exception e) when (FailureMap.KindOf(e) is not null) { return FailureMap.Failed(r.Name, e); }
        var outcomes = new List<LunOutcome>();
        var going = new List<(DiskImage Image, LunOutcome Outcome)>();
        var luns = _ctx.Inventory.ListLuns();
        foreach (var image in images)
        {
            var o = new LunOutcome { Name = image.Label, Image = image };
            outcomes.Add(o);
            var blockers = luns.Where(l => l.PendingOperation is PendingOperation.Reset rs && rs.ImageId == image.Id || l.PendingOperation is PendingOperation.Rollout ro && ro.ImageId == image.Id).ToList();
            if (blockers.Count > 0) { o.Fail(FailureKind.Conflict, $"image {image.Label} is needed by the interrupted {blockers[0].PendingOperation} of LUN '{blockers[0].Name}'; run Sync-IscsiTarget {image.BackendName} first."); continue; }
            if (image.Luns.Count > 0 && !r.DetachLuns)
            {
                o.Fail(FailureKind.Conflict, $"image {image.Label} is the image of {image.Luns.Count} LUNs ({string.Join(", ", image.Luns.Take(5))}{(image.Luns.Count > 5 ? ", ..." : "")}): "
                    + $"move them to another version (Update-IscsiLun -Image {image.Name} -Version N), or remove it with -DetachLuns (they keep their disks but lose their lineage: Reset-IscsiLun no longer works for them).");
                continue;
            }
            if (image.Luns.Count > 0) o.Warnings.Add($"{image.Luns.Count} LUNs keep their disks but no longer record an image: {string.Join(", ", image.Luns.Take(5))}{(image.Luns.Count > 5 ? ", ..." : "")}.");
            going.Add((image, o));
        }
        if (going.Count == 0) return outcomes;
        try
        {
            await using var s = await _ctx.Connector.OpenAsync(b!, ct);
            await OnHostAsync(s, b!, going, r.DetachLuns, ct);
        }
        catch (TargetHostException e) { foreach (var (_, o) in going.Where(g => g.Outcome.Succeeded)) o.Fail(FailureKind.HostUnavailable, e.Message + " (the image stays Deleting: Sync-IscsiTarget finishes it)"); }
        return outcomes;
    }

    (Backend, List<DiskImage>) Resolve(ImageRemoveRequest r)
    {
        var name = InputValidator.Name(r.Name, "Name");
        if (r.Version is { } v) InputValidator.ImageVersion(v, "Version");
        var all = _ctx.Inventory.ListImages().Where(i => string.Equals(i.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
        if (r.Backend is not null) { var b0 = _ctx.Backend(r.Backend); all = all.Where(i => i.BackendId == b0.Id).ToList(); }
        if (all.Count == 0) throw new InventoryNotFoundException($"No image named '{name}'{(r.Backend is null ? "" : $" on backend '{r.Backend}'")}.");
        if (all.Select(i => i.BackendId).Distinct().Count() > 1)
            throw new ValidationException("Backend", $"image '{name}' exists on backends {string.Join(", ", all.Select(i => i.BackendName).Distinct())}; say which one (-Backend).");
        var images = r.Version is { } version ? all.Where(i => i.Version == version).ToList() : all;
        if (images.Count == 0) throw new InventoryNotFoundException($"Image '{name}' has no version {r.Version} (it has {string.Join(", ", all.Select(i => "v" + i.Version))}).");
        return (_ctx.Inventory.GetBackendById(images[0].BackendId)!, images);
    }

    async Task OnHostAsync(ITargetHostSession s, Backend b, List<(DiskImage Image, LunOutcome Outcome)> going, bool detach, CancellationToken ct)
    {
        var live = (await s.SnapshotAsync(new SnapshotRequest(IncludeStorage: false), ct)).Live;
        foreach (var (image, o) in going.Where(g => live.UsesDevice(g.Image.Path)))
            o.Fail(FailureKind.Conflict, $"{image.Path} is in use by a storage object on the target; it was not removed.");
        var ok = going.Where(g => g.Outcome.Succeeded).ToList();
        _ctx.Inventory.Transact(t =>
        {
            foreach (var (image, _) in ok)
            {
                t.DetachImage(image.Id, luns: detach);
                image.Status = ImageStatus.Deleting;
                t.UpdateImage(image);
            }
        });
        var left = await DiskLayout.RemoveExistingAsync(s, b, ok.Select(g => (g.Image.Label, g.Image.Path)).ToList(), ct);
        _ctx.Inventory.Transact(t =>
        {
            foreach (var (image, o) in going)
            {
                if (o.Succeeded && left.TryGetValue(image.Label, out var why)) o.Fail(FailureKind.TargetRejected, $"{image.Path}: {why} (the image stays Deleting; run Sync-IscsiTarget)");
                else if (o.Succeeded) { t.DeleteImage(image.Id); o.Removed = true; }
                t.WriteAudit(EngineContext.Audit("remove-image", "image", image.Label, o.Succeeded ? AuditOutcome.Success : AuditOutcome.Failure,
                    o.Succeeded ? $"{image.Path}{(detach && image.Luns.Count > 0 ? $"; detached {image.Luns.Count} LUNs" : "")}" : o.Error));
            }
        });
    }
}
