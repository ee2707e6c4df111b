using PureBoot.Core.Inventory;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>
/// Update-IscsiLun -Image/-Version: moves LUNs to an image version, keeping each one's current disk as a snapshot
/// (before-IMAGE-vN) recorded as its previous disk; -Rollback restores that snapshot (one command). A batch per backend
/// (<see cref="DiskReplacement"/>); <see cref="PlanAsync"/> computes the same decisions for -WhatIf and changes nothing.
/// </summary>
internal sealed class RolloutLuns(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;

    /// <summary>What a run checks before anything is sent (inventory only): names, the LUN, its image version or previous disk.</summary>
    public List<LunWork> Check(IReadOnlyList<LunRolloutRequest> requests, List<LunOutcome> outcomes) =>
        BatchRunner.Intake(requests, r => r.Lun, Prepare, outcomes);

    public async Task<IReadOnlyList<LunOutcome>> RunAsync(IReadOnlyList<LunRolloutRequest> requests, CancellationToken ct)
    {
        var outcomes = new List<LunOutcome>();
        var works = Check(requests, outcomes);
        await new DiskReplacement(_ctx).RunAsync(works, "update-image", ct);
        return outcomes;
    }

    LunWork? Prepare(LunRolloutRequest r, LunOutcome o)
    {
        InputValidator.Name(r.Lun, "Lun");
        if (r.Image is not null) InputValidator.Name(r.Image, "Image");
        if (r.Version is { } v) InputValidator.ImageVersion(v, "ImageVersion");
        if (r.Rollback && (r.Image is not null || r.Version is not null)) throw new ValidationException("Rollback", "a rollback restores the LUN's previous disk; it takes no image or version.");
        var lun = _ctx.Lun(r.Lun, "Lun");
        o.Lun = lun;
        var b = _ctx.BackendOf(lun);
        DiskLayout.RequireLifecycle(b, "Lun");
        CheckpointLuns.Usable(lun, r.Rollback ? "rolled back" : "moved to another image version");
        if (r.Rollback)
        {
            var previous = lun.PreviousSnapshotId is { } id ? _ctx.Inventory.GetSnapshotById(id) : null;
            if (previous is null) throw new InventoryConflictException($"LUN '{lun.Name}' has no previous disk to roll back to: it was not moved to another image version since, or that snapshot was removed.");
            if (previous.Status != SnapshotStatus.Ready) throw new InventoryConflictException($"snapshot '{previous.SnapshotName}' of LUN '{lun.Name}' is {previous.Status}; run Sync-IscsiTarget {b.Name}.");
            o.Snapshot = previous;
            return new LunWork { Outcome = o, Row = lun, Backend = b, Request = RestoreLuns.For(lun, previous, r.Force, rollback: true) };
        }
        var imageName = r.Image ?? lun.ImageName ?? throw new ValidationException("Image", $"LUN '{lun.Name}' records no image; name the image to move it to.");
        var image = ImageClones.Resolve(_ctx, b, imageName, r.Version);
        if (lun.ImageId == image.Id) { o.Unchanged = true; return null; }
        var keep = new LunSnapshot
        {
            LunId = lun.Id, LunName = lun.Name, SnapshotName = KeepName(lun, image), BackendName = b.Name, SizeBytes = lun.SizeBytes,
            ImageId = lun.ImageId, ImageName = lun.ImageName, ImageVersion = lun.ImageVersion, Status = SnapshotStatus.Creating,
            Description = $"{lun.Name}'s disk before it moved to image {image.Label}",
        };
        keep.Path = DiskLayout.SnapshotPath(b, lun.StorageObjectName!, keep.SnapshotName);
        o.Snapshot = keep;
        return new LunWork
        {
            Outcome = o, Row = lun, Backend = b,
            Request = new Replacement
            {
                Source = image.Path, SourceSize = image.SizeBytes, SourceAllocated = image.AllocatedBytes, NewSize = Math.Max(lun.SizeBytes, image.SizeBytes),
                ImageId = image.Id, ImageName = image.Name, ImageVersion = image.Version, Keep = keep, Force = r.Force,
                Operation = "update-lun-image", What = $"moved from {lun.Image ?? "no image"} to {image.Label}; the previous disk is snapshot '{keep.SnapshotName}'",
                Pending = id => new PendingOperation.Rollout(image.Id, id ?? 0),
            },
        };
    }

    /// <summary>before-IMAGE-vN (before-vN when that is too long), with -2, -3 ... when the LUN has one of that name already.</summary>
    string KeepName(Lun lun, DiskImage image)
    {
        var stem = $"before-{image.Name}-v{image.Version}";
        if (stem.Length > 55) stem = $"before-v{image.Version}";
        var name = stem;
        for (int n = 2; _ctx.Inventory.GetSnapshot(lun.Id, name) is not null; n++) name = $"{stem}-{n}";
        return name;
    }

    /// <summary>-WhatIf: what each request would do, from the inventory and each backend's live state (sessions, space); nothing is changed.</summary>
    public async Task<IReadOnlyList<LunRolloutPlan>> PlanAsync(IReadOnlyList<LunRolloutRequest> requests, CancellationToken ct)
    {
        var outcomes = new List<LunOutcome>();
        var works = Check(requests, outcomes);
        var byName = new Dictionary<string, LunRolloutPlan>(StringComparer.Ordinal);
        foreach (var g in works.GroupBy(w => w.Backend.Id))
        {
            var b = g.First().Backend;
            var ws = g.ToList();
            try
            {
                await using var s = await _ctx.Connector.OpenAsync(b, ct);
                var snap = await s.SnapshotAsync(new SnapshotRequest(IncludeSessions: true), ct);
                var forced = new HashSet<(string, string)>();
                foreach (var w in ws) ReplacementPlans.Check(_ctx, snap, b, w, forced);
                var space = await Capacity.ReadGuardAsync(s, b, ct);
                var add = ws.Where(w => w.Ok).Sum(w => Capacity.CloneCost(space, ReplacementPlans.Of(w).SourceAllocated) + (ReplacementPlans.Of(w).Keep is null ? 0 : Capacity.CloneCost(space, w.Row.SizeBytes)));
                try { Capacity.Ensure(b, space, add, "Name"); }
                catch (InsufficientSpaceException e) { foreach (var w in ws.Where(w => w.Ok)) w.Fail(FailureKind.InsufficientSpace, e.Message); }
                foreach (var w in ws) byName[w.Key] = Plan(w, snap);
            }
            catch (TargetHostException e) { foreach (var w in ws) { w.Fail(FailureKind.HostUnavailable, e.Message); byName[w.Key] = Plan(w, null); } }
        }
        return outcomes.Select(o => byName.TryGetValue(o.Lun?.Name ?? o.Name, out var p) && o.Lun is not null ? p : new LunRolloutPlan
        {
            Lun = o.Name, Backend = o.Lun?.BackendName, Node = o.Lun?.NodeName, FromImage = o.Lun?.Image,
            Action = o.Unchanged ? "Unchanged" : "Refused", ToImage = o.Unchanged ? o.Lun?.Image : null, Reason = o.Unchanged ? "already on that version" : o.Error,
        }).ToList();
    }

    static LunRolloutPlan Plan(LunWork w, HostSnapshot? snap)
    {
        var r = ReplacementPlans.Of(w); var lun = w.Row;
        var session = snap?.Sessions.FirstOrDefault(x => x.TargetIqn == lun.TargetIqn && x.Sees($"/backstores/{w.Backend.StoragePlugin}/{lun.StorageObjectName}"));
        return new LunRolloutPlan
        {
            Lun = lun.Name, Backend = lun.BackendName, Node = lun.NodeName, FromImage = lun.Image,
            ToImage = r.ImageName is null ? null : $"{r.ImageName}:v{r.ImageVersion}",
            Snapshot = r.Keep?.SnapshotName ?? w.Outcome.Snapshot?.SnapshotName,
            Action = !w.Ok ? "Refused" : r.Keep is null ? "Rollback" : "Rollout",
            Session = session is null ? null : $"{session.InitiatorIqn} ({session.State})",
            Reason = w.Ok ? (session is null ? null : "its session will be dropped (-Force)") : w.Outcome.Error,
        };
    }
}
