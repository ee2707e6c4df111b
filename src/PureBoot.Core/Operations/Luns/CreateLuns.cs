using PureBoot.Core.Inventory;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Secrets;
using PureBoot.Core.Transport;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>
/// New-IscsiLun: each backend's share of a batch is one session. Allocate names and indexes from the live state, write
/// the rows as Creating, make the backing files or volumes, apply one plan (storage objects, targets, LUNs and, for
/// create-and-assign, the nodes' ACLs and mapped LUNs), decide each item from the saved config read back, commit, and
/// remove what failed items half-made (<see cref="CreateCleanup"/>).
/// </summary>
internal sealed class CreateLuns(EngineContext ctx)
{
    readonly EngineContext _ctx = ctx;
    readonly BatchRunner _runner = new(ctx);
    /// <summary>The image version each -Image item clones, by LUN name.</summary>
    readonly Dictionary<string, DiskImage> _images = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<LunOutcome>> RunAsync(IReadOnlyList<LunCreateRequest> requests, CancellationToken ct)
    {
        var outcomes = new List<LunOutcome>();
        var works = Check(requests, outcomes);
        await _runner.RunPerBackendAsync(works, "create", (s, b, ws) => OnHostAsync(s, b, ws, ct), ct);
        return outcomes;
    }

    /// <summary>Validates every request against the inventory (no host is contacted); what would be sent.</summary>
    public List<LunWork> Check(IReadOnlyList<LunCreateRequest> requests, List<LunOutcome> outcomes) =>
        BatchRunner.Intake(requests, r => r.Name, Prepare, outcomes);

    LunWork? Prepare(LunCreateRequest r, LunOutcome o)
    {
        var name = InputValidator.Name(r.Name, "Name");
        var size = r.SizeBytes == 0 && (r.SourceImage is not null || r.Image is not null) ? 0 : InputValidator.SizeBytes(r.SizeBytes, "SizeBytes");
        var backend = _ctx.Backend(r.Backend);
        if (r.Image is not null && r.SourceImage is not null)
            throw new ValidationException("Image", "give a registered image (-Image) or an image file (-SourceImage), not both.");
        var source = r.SourceImage is null ? null : InputValidator.ImagePath(r.SourceImage, backend.EffectiveImageDirectory, "SourceImage");
        if (source is not null && backend.Storage == StorageKind.Block && size == 0)
            throw new ValidationException("SizeBytes", "a Block backend needs the volume's size even with a source image.");
        var image = r.Image is null ? null : ImageClones.Resolve(_ctx, backend, r.Image, r.ImageVersion);
        if (image is not null && size != 0 && size < image.SizeBytes)
            throw new ValidationException("SizeBytes", $"{size} bytes is smaller than image {image.Label} ({image.SizeBytes} bytes); a clone can grow, not shrink.");
        source ??= image?.Path;
        if (image is not null && size == 0) size = image.SizeBytes;
        var chap = ChapRequest.From(r, name, backend.Name);
        var description = InputValidator.Description(r.Description, "Description");
        var node = r.Node is null ? null : _ctx.Node(r.Node);
        if (_ctx.Inventory.GetLun(name) is { } existing)
        {
            var differences = ExistingLun.Differences(_ctx, existing, backend, size, source, r, chap, node);
            if (r.IfNotExists && differences.Count == 0) { o.Lun = existing; o.Unchanged = true; return null; }
            throw ExistingLun.Conflict(existing, differences);
        }
        if (node is not null && !r.AdoptSharedChap && backend.Mode == TargetMode.Shared
            && SharedChap.Partner(_ctx.Inventory.ListLuns(new LunFilter { Node = node.Name }), node, backend.SharedTargetIqn, 0) is { } partner
            && SharedChap.Refusal(_ctx, new Lun { Name = name, ChapEnabled = chap is not null, ChapUser = chap?.User, MutualChapEnabled = chap?.Mutual == true }, partner, node, r) is { } refusal)
            throw new InventoryConflictException(refusal);
        var now = DateTimeOffset.UtcNow;
        var row = new Lun
        {
            Name = name, SizeBytes = size, BackendId = backend.Id, BackendName = backend.Name, Purpose = r.Purpose,
            Status = LunStatus.Creating, PendingOperation = PendingOperation.Create, SourceImage = source, Description = description,
            ImageId = image?.Id, ImageName = image?.Name, ImageVersion = image?.Version,
            ChapEnabled = chap is not null, ChapUser = chap?.User, MutualChapEnabled = chap?.Mutual == true, MutualChapUser = chap?.MutualUser,
            Created = now, Updated = now,
        };
        _ctx.Chap.Seal(row, chap?.Secret, chap?.MutualSecret);
        if (image is not null) _images[name] = image;
        o.Lun = row;
        return new LunWork { Outcome = o, Row = row, Backend = backend, Chap = chap, AssignTo = node, Request = r };
    }

    async Task OnHostAsync(ITargetHostSession s, Backend b, List<LunWork> ws, CancellationToken ct)
    {
        // Clones and thin volumes allocate up front: the backend's space is checked (probed beside the read) before anything is written.
        var allocates = ImageClones.Allocates(b, ws);
        var snap = await s.SnapshotAsync(new SnapshotRequest(Probes: allocates ? new HostStep[] { Capacity.Guard(b) } : null), ct);
        if (allocates && !await ImageClones.EnsureSpaceAsync(_ctx, s, b, snap, ws, ct)) return;
        var known = _ctx.Inventory.ListLunsOnTarget(b.Id);
        var allocator = new LunAllocator(b, snap, known);
        foreach (var w in ws)
        {
            allocator.Allocate(w.Row);
            // A FileIO image in the storage directory gives the LUN its size from the listing.
            if (w.Row.SourceImage is { } src && b.Storage == StorageKind.FileIO && w.Row.SizeBytes == 0
                && src.StartsWith(b.BackingPathPrefix, StringComparison.Ordinal)
                && snap.Storage.FirstOrDefault(e => b.BackingPathPrefix + e.Name == src) is { } entry)
                w.Row.SizeBytes = entry.SizeBytes;
        }

        // The rows go in first, as Creating: a crash from here on leaves rows that say what may exist.
        try { _ctx.Inventory.Transact(t => t.AddLuns(ws.Select(w => w.Row).ToList())); }
        catch (InventoryConflictException e) { foreach (var w in ws) w.Fail(FailureKind.AlreadyExists, e.Message); return; }

        _ctx.Report("Creating LUNs", $"host steps on {b.Name}", 20);
        var createdPaths = await MakeBackingDataAsync(s, b, snap, ws, _images, ct);

        var changes = new List<LioChange>();
        // No target for a batch whose every item already failed (a clone that did not fit, ...).
        if (b.Mode == TargetMode.Shared && ws.Any(w => w.Ok)) changes.AddRange(TargetShape.Ensure(snap.Live, b, b.SharedTargetIqn, LioChange.SharedItem));
        foreach (var w in ws.Where(w => w.Ok))
        {
            // FileIO: the file is there and gives the size.
            changes.Add(new CreateStorageObject(w.Key, b.StoragePlugin, w.Row.StorageObjectName!, w.Row.BackingPath!));
            if (b.Mode == TargetMode.PerLun) changes.AddRange(TargetShape.Ensure(snap.Live, b, w.Row.TargetIqn!, w.Key));
            changes.Add(new CreateLun(w.Key, w.Row.TargetIqn!, w.Row.TpgLunIndex!.Value, b.StoragePlugin, w.Row.StorageObjectName!));
        }
        // Create-and-assign: the nodes' ACLs and mapped LUNs go in the same plan, after the LUNs they map.
        var assigning = ws.Where(w => w.Ok && w.AssignTo is not null).ToList();
        if (assigning.Count > 0)
        {
            var acls = new AclPlanner(_ctx, snap.Live, known);
            var planned = assigning.Where(w => acls.Plan(w, w.AssignTo!)).ToList();
            changes.AddRange(acls.Changes);
            _runner.Commit(planned, null, null);   // the node is recorded before the plan goes out
        }
        _ctx.Report("Creating LUNs", $"applying {changes.Count} changes on {b.Name}", 40);
        var run = changes.Count > 0 ? await _runner.ApplyAsync(s, changes, ct) : null;

        foreach (var w in run is null ? new List<LunWork>() : ws.Where(w => w.Ok).ToList())
        {
            if (w.Row.SourceImage is not null && w.Row.SizeBytes == 0)
                w.Row.SizeBytes = run!.Saved.FindStorageObject(b.StoragePlugin, w.Row.StorageObjectName!)?.Size ?? 0;
            if (ExportChecks.Verdict(run!.Saved, b, w.Row, w.Chap) is { } problem)
                w.Fail(FailureKind.TargetRejected, BatchRunner.Explain(problem, run, w.Key));
        }
        foreach (var w in ws)
        {
            w.Row.Status = !w.Ok ? LunStatus.Error : w.Row.NodeId is null ? LunStatus.Ready : LunStatus.Active;
            w.Row.ErrorMessage = w.Outcome.Error;
            if (w.Ok) w.Row.PendingOperation = null;
        }
        _runner.Commit(ws, "create-lun", w => w.Ok
            ? $"{w.Row.BackingPath} {w.Row.SizeBytes} bytes{(w.Row.Image is null ? "" : $" cloned from image {w.Row.Image}")} as {w.Row.TargetIqn} LUN {w.Row.TpgLunIndex}{(w.Row.NodeName is null ? "" : $", assigned to {w.Row.NodeName} as mapped LUN {w.Row.MappedLunIndex}, CHAP {w.Row.Chap}")}"
            : w.Outcome.Error);

        var failed = ws.Where(w => !w.Ok).ToList();
        if (failed.Count > 0)
        {
            _ctx.Report("Creating LUNs", $"removing what {failed.Count} failed items left on {b.Name}", 80);
            await new CreateCleanup(_ctx, _runner, s, b, snap.Live).RunAsync(failed, run?.Saved ?? snap.Live, createdPaths, ct);
        }
    }

    /// <summary>Directory, sparse files, image clones, logical volumes. Returns the paths this batch made.</summary>
    static async Task<HashSet<string>> MakeBackingDataAsync(ITargetHostSession s, Backend b, HostSnapshot snap, List<LunWork> ws,
        IReadOnlyDictionary<string, DiskImage> images, CancellationToken ct)
    {
        var steps = new List<HostStep>();
        if (b.Storage == StorageKind.FileIO && snap.StorageError is not null) steps.Add(new MakeDirectory(LioChange.SharedItem, b.StoragePath));
        foreach (var w in ws)
        {
            var row = w.Row;
            // Image clones and thin volumes (the disk lifecycle); a file's data goes into a thin volume sparsely.
            if (images.TryGetValue(row.Name, out var image) || (b.Storage == StorageKind.Block && b.ThinPool is not null))
            {
                steps.AddRange(ImageClones.Steps(b, row, image));
                if (image is null && row.SourceImage is not null) steps.Add(new FillThinVolume(w.Key, row.SourceImage, row.BackingPath!));
                continue;
            }
            if (b.Storage == StorageKind.FileIO && row.SourceImage is null) steps.Add(new CreateSparseFile(w.Key, row.BackingPath!, row.SizeBytes));
            if (b.Storage == StorageKind.FileIO && row.SourceImage is not null)
            {
                steps.Add(new CopyImage(w.Key, row.SourceImage, row.BackingPath!));
                // A size given with an image grows the clone (the image's partitions stay as they are); never shrinks it.
                if (row.SizeBytes > 0) steps.Add(new GrowFile(w.Key, row.BackingPath!, row.SizeBytes));
            }
            if (b.Storage == StorageKind.Block)
            {
                steps.Add(new CreateLogicalVolume(w.Key, b.StoragePath, row.StorageObjectName!, row.SizeBytes));
                if (row.SourceImage is not null) steps.Add(new CopyImageToDevice(w.Key, row.SourceImage, row.BackingPath!));
            }
        }
        var created = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in await s.RunStepsAsync(steps, ct))
        {
            if (r.Ok)
            {
                if (r.Step.CreatedPath is { } path) created.Add(path);
                continue;
            }
            if (r.Step.ItemKey == LioChange.SharedItem) foreach (var w in ws) w.Fail(FailureKind.TargetRejected, r.Message);
            else ws.First(w => w.Key == r.Step.ItemKey).Fail(FailureKind.TargetRejected, r.Message);
        }
        return created;
    }
}
