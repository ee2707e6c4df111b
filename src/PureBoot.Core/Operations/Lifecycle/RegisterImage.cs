using PureBoot.Core.Inventory;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>
/// New-IscsiImage: registers the next version of an image, immutable from then on. From a file on the host (checked to
/// be a regular raw image file under the image directory, then cloned into PureBoot's image layout, read-only) or
/// captured from a LUN's current disk (a reflink or thin snapshot of it: crash-consistent). The row is written as
/// Creating before the host is touched; a failure removes what was made, a crash leaves it for Sync-IscsiTarget.
/// </summary>
internal sealed class RegisterImage(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;

    sealed record Work(Backend Backend, DiskImage Image, string Source, Lun? Lun);

    public async Task<LunOutcome> RunAsync(ImageCreateRequest r, CancellationToken ct)
    {
        var o = new LunOutcome { Name = r.Name };
        Work w;
        try { w = Check(r); }
        catch (Exception e) when (FailureMap.TryFail(o, e)) { return o; }
        o.Image = w.Image;
        try
        {
            await using var s = await _ctx.Connector.OpenAsync(w.Backend, ct);
            await OnHostAsync(s, w, o, ct);
        }
        catch (TargetHostException e)
        {
            o.Fail(FailureKind.HostUnavailable, e.Message + (w.Image.Id != 0 ? $" (image {w.Image.Label} stays Creating: Sync-IscsiTarget {w.Backend.Name} removes what was made)" : ""));
        }
        return o;
    }

    /// <summary>Validates the request against the inventory; nothing is sent.</summary>
    Work Check(ImageCreateRequest r)
    {
        var name = InputValidator.Name(r.Name, "Name");
        var description = InputValidator.Description(r.Description, "Description");
        if ((r.Path is null) == (r.Lun is null))
            throw new ValidationException("Path", "give either a file on the host (-Path) or a LUN to capture (-Lun), not both and not neither.");
        Lun? lun = null;
        Backend b;
        if (r.Lun is not null)
        {
            lun = _ctx.Lun(r.Lun, "Lun");
            b = _ctx.BackendOf(lun);
            if (r.Backend is not null && !string.Equals(InputValidator.Name(r.Backend, "Backend"), b.Name, StringComparison.OrdinalIgnoreCase))
                throw new ValidationException("Backend", $"LUN '{lun.Name}' is on backend '{b.Name}', not '{r.Backend}'; an image lives on the backend of the LUN it is captured from.");
            if (lun.Status is not (LunStatus.Ready or LunStatus.Active) || lun.PendingOperation is not null || lun.BackingPath is null)
                throw new InventoryConflictException($"LUN '{lun.Name}' is {lun.Status}{(lun.PendingOperation is null ? "" : $" ({lun.PendingOperation} did not finish)")}; only a Ready or Active LUN can be captured.");
        }
        else b = _ctx.Backend(r.Backend ?? throw new ValidationException("Backend", "a value is required; it cannot be empty."));
        DiskLayout.RequireLifecycle(b, "Backend");
        var source = lun?.BackingPath ?? InputValidator.ImagePath(r.Path, b.EffectiveImageDirectory, "Path");
        if (lun is null)
        {
            if (_ctx.Inventory.ListImages(backendId: b.Id).FirstOrDefault(i => i.Path == source) is { } registered)
                throw new ValidationException("Path", $"{source} is image {registered.Label} already; an image version is registered once.");
            if (_ctx.Inventory.ListLunsOnTarget(b.Id).FirstOrDefault(l => l.BackingPath == source) is { } owner)
                throw new ValidationException("Path", $"{source} is the disk of LUN '{owner.Name}'; capture it with -Lun {owner.Name}.");
            if (b.Storage == StorageKind.FileIO && source.StartsWith(b.StoragePath.TrimEnd('/') + "/snapshots/", StringComparison.Ordinal))
                throw new ValidationException("Path", $"{source} is a LUN snapshot; restore it, or capture the LUN.");
        }
        var version = _ctx.Inventory.LatestImageVersion(b.Id, name) + 1;
        if (version > InputValidator.MaxImageVersion) throw new ValidationException("Name", $"image '{name}' has reached version {InputValidator.MaxImageVersion}.");
        var image = new DiskImage
        {
            Name = name, Version = version, BackendId = b.Id, BackendName = b.Name, Path = DiskLayout.ImagePath(b, name, version),
            Source = lun is null ? "file " + source : "lun " + lun.Name, Status = ImageStatus.Creating, Description = description,
        };
        return new Work(b, image, source, lun);
    }

    async Task OnHostAsync(ITargetHostSession s, Work w, LunOutcome o, CancellationToken ct)
    {
        var b = w.Backend; var image = w.Image;
        var snap = await s.SnapshotAsync(new SnapshotRequest(IncludeSessions: w.Lun is not null), ct);
        var probe = new List<HostStep> { Capacity.Guard(b) };
        if (w.Lun is null) probe.Add(new InspectImageFile(image.Label, w.Source, b.EffectiveImageDirectory));
        var probed = await s.RunStepsAsync(probe, ct);
        var space = Capacity.Parse(b, probed[0].Ok ? probed[0].Message : "", probed[0].Ok ? null : probed[0].Message);
        long sourceAllocated, sourceSize;
        try
        {
            (sourceSize, sourceAllocated) = w.Lun is null ? CheckFile(snap, w, probed[1]) : (w.Lun.SizeBytes, snap.Storage.FirstOrDefault(e => b.BackingPathPrefix + e.Name == w.Source)?.AllocatedBytes ?? 0);
            Capacity.Ensure(b, space, b.Storage == StorageKind.Block && w.Lun is null ? sourceAllocated : Capacity.CloneCost(space, sourceAllocated), "Backend");
        }
        catch (Exception e) when (FailureMap.TryFail(o, e)) { return; }
        if (w.Lun is not null && snap.Sessions.FirstOrDefault(x => x.Sees($"/backstores/{b.StoragePlugin}/{w.Lun.StorageObjectName}")) is { } session)
            o.Warnings.Add($"LUN '{w.Lun.Name}' was captured while {session.InitiatorIqn} is logged in: the image is crash-consistent (as after a power cut), not shut down cleanly.");

        try { _ctx.Inventory.Transact(t => t.AddImage(image)); }
        catch (InventoryConflictException e) { o.Fail(FailureKind.AlreadyExists, e.Message); return; }
        var results = await s.RunStepsAsync(MakeSteps(b, w, sourceSize), ct);
        var failed = results.Where(r => !r.Ok).Select(r => r.Message).ToList();
        var measured = failed.Count == 0 ? StepOutput.Measure(results.First(r => r.Step is MeasureData).Message) : null;
        if (measured is null)
        {
            o.Fail(FailureKind.TargetRejected, failed.Count > 0 ? string.Join("; ", failed) : $"{image.Path} could not be measured after it was made");
            await UndoAsync(s, b, image, o, ct);
            return;
        }
        image.SizeBytes = measured.Value.Size;
        image.AllocatedBytes = measured.Value.Allocated;
        image.Status = ImageStatus.Ready;
        var method = results.Select(r => StepOutput.Method(r.Message)).FirstOrDefault(m => m.Length > 0) ?? "";
        if (method.StartsWith("copy", StringComparison.Ordinal)) o.Warnings.Add($"image {image.Label} was copied, not reflinked ({method}): it takes {image.AllocatedBytes} bytes of its own.");
        _ctx.Inventory.Transact(t =>
        {
            t.UpdateImage(image);
            t.WriteAudit(EngineContext.Audit("new-image", "image", image.Label, AuditOutcome.Success,
                $"{image.Path} on {b.Name} from {image.Source} ({(method.Length == 0 ? "written" : method)}): {image.SizeBytes} bytes, {image.AllocatedBytes} allocated"));
        });
    }

    /// <summary>The file must be a raw disk image: a regular file inside the image directory, whole sectors, at least 1 MiB, not in use.</summary>
    static (long Size, long Allocated) CheckFile(HostSnapshot snap, Work w, StepResult inspected)
    {
        if (!inspected.Ok) throw new ValidationException("Path", $"{w.Source} is not an image file: {inspected.Message[(inspected.Message.IndexOf("):", StringComparison.Ordinal) + 2)..].Trim()}");
        var m = StepOutput.Measure(inspected.Message) ?? throw new ValidationException("Path", $"{w.Source} could not be inspected on the host.");
        if (StepOutput.ContainerFormat(StepOutput.Magic(inspected.Message)) is { } format)
            throw new ValidationException("Path", $"{w.Source} is {format}, not a raw disk image; convert it first (qemu-img convert -O raw).");
        if (m.Size < InputValidator.MinSizeBytes || m.Size % 512 != 0)
            throw new ValidationException("Path", $"{w.Source} is {m.Size} bytes; a disk image is at least 1 MiB and a whole number of 512-byte sectors.");
        if (snap.Live.StorageObjects.FirstOrDefault(so => so.Dev == w.Source) is { } user)
            throw new ValidationException("Path", $"{w.Source} is in use by storage object {user.Path}; capture the LUN instead.");
        return m;
    }

    static List<HostStep> MakeSteps(Backend b, Work w, long sourceSize)
    {
        var key = w.Image.Label; var path = w.Image.Path;
        var steps = new List<HostStep>();
        if (b.Storage == StorageKind.Block && w.Lun is null)
        {
            steps.Add(new CreateThinVolume(key, b.StoragePath, b.ThinPool!, DiskLayout.Volume(path), sourceSize));
            steps.Add(new FillThinVolume(key, w.Source, path));
            steps.Add(new MakeVolumeReadOnly(key, b.StoragePath, DiskLayout.Volume(path)));
        }
        else steps.AddRange(DiskLayout.Clone(b, key, w.Source, path, readOnly: true));
        steps.Add(new MeasureData(key, path));
        steps.Add(new SyncData(key));
        return steps;
    }

    /// <summary>Removes what a failed registration made; the row goes when nothing is left, else it stays for Sync-IscsiTarget.</summary>
    async Task UndoAsync(ITargetHostSession s, Backend b, DiskImage image, LunOutcome o, CancellationToken ct)
    {
        var left = (await DiskLayout.RemoveExistingAsync(s, b, new[] { (image.Label, image.Path) }, ct)).Values.ToList();
        _ctx.Inventory.Transact(t =>
        {
            if (left.Count == 0) t.DeleteImage(image.Id);
            t.WriteAudit(EngineContext.Audit("new-image", "image", image.Label, AuditOutcome.Failure, o.Error + (left.Count == 0 ? "" : $" (left: {string.Join("; ", left)}; run Sync-IscsiTarget)")));
        });
        o.Error += left.Count == 0 ? " (nothing was left on the host)" : $" (left: {string.Join("; ", left)}; run Sync-IscsiTarget {b.Name})";
        if (left.Count == 0) image.Id = 0;
    }
}
