using PureBoot.Core.Model;

namespace PureBoot.Core.Operations;

// The disk lifecycle: versioned images, clones (New-IscsiLun -Image), snapshots, reset, rollout and rollback, space.
public sealed partial class PureBootEngine
{
    /// <summary>Registers the next version of an image (from a file on the host, or captured from a LUN). Audited.</summary>
    public Task<LunOutcome> NewImageAsync(ImageCreateRequest request, CancellationToken ct = default) => new RegisterImage(_ctx).RunAsync(request, ct);

    /// <summary>Image versions (name and backend take wildcards), each with the LUNs that are clones of it. Inventory only.</summary>
    public IReadOnlyList<DiskImage> ListImages(string? nameLike = null, string? backendLike = null) => _ctx.Inventory.ListImages(nameLike, backendLike);

    /// <summary>Removes an image version (or every version of the name). Refused while LUNs use it, unless DetachLuns.</summary>
    public Task<IReadOnlyList<LunOutcome>> RemoveImageAsync(ImageRemoveRequest request, CancellationToken ct = default) => new RemoveImages(_ctx).RunAsync(request, ct);

    /// <summary>Crash-consistent named snapshots of LUNs' disks, one batch per backend.</summary>
    public Task<IReadOnlyList<LunOutcome>> CheckpointLunsAsync(IReadOnlyList<LunCheckpointRequest> requests, CancellationToken ct = default) =>
        new CheckpointLuns(_ctx).RunAsync(requests, ct);

    // What each run checks before anything is sent, for -WhatIf and the cmdlets' per-item check (reads only).
    public IReadOnlyList<LunOutcome> CheckCheckpointLuns(IReadOnlyList<LunCheckpointRequest> requests) => Outcomes(o => new CheckpointLuns(_ctx).Check(requests, o));
    public IReadOnlyList<LunOutcome> CheckRemoveSnapshots(IReadOnlyList<SnapshotRemoveRequest> requests) => Outcomes(o => new RemoveSnapshots(_ctx).Check(requests, o));
    public IReadOnlyList<LunOutcome> CheckRestoreLuns(IReadOnlyList<LunRestoreRequest> requests) => Outcomes(o => new RestoreLuns(_ctx).Check(requests, o));
    public IReadOnlyList<LunOutcome> CheckResetLuns(IReadOnlyList<LunResetRequest> requests) => Outcomes(o => new ResetLuns(_ctx).Check(requests, o));
    public IReadOnlyList<LunOutcome> CheckUpdateLunImages(IReadOnlyList<LunRolloutRequest> requests) => Outcomes(o => new RolloutLuns(_ctx).Check(requests, o));

    /// <summary>Snapshots (LUN and snapshot names take wildcards). Inventory only.</summary>
    public IReadOnlyList<LunSnapshot> ListSnapshots(string? lunLike = null, string? nameLike = null) => _ctx.Inventory.ListSnapshots(lunLike, nameLike);

    public Task<IReadOnlyList<LunOutcome>> RemoveSnapshotsAsync(IReadOnlyList<SnapshotRemoveRequest> requests, CancellationToken ct = default) =>
        new RemoveSnapshots(_ctx).RunAsync(requests, ct);

    /// <summary>Each LUN's disk becomes its snapshot again; LUN numbers, ACL and CHAP stay. Refused while a node is logged in unless Force.</summary>
    public Task<IReadOnlyList<LunOutcome>> RestoreLunsAsync(IReadOnlyList<LunRestoreRequest> requests, CancellationToken ct = default) =>
        new RestoreLuns(_ctx).RunAsync(requests, ct);

    /// <summary>Restore-on-reboot: each LUN gets a fresh clone of its image version (the node's writes are discarded).</summary>
    public Task<IReadOnlyList<LunOutcome>> ResetLunsAsync(IReadOnlyList<LunResetRequest> requests, CancellationToken ct = default) =>
        new ResetLuns(_ctx).RunAsync(requests, ct);

    /// <summary>Moves LUNs to an image version keeping their disks as snapshots, or rolls them back (Rollback).</summary>
    public Task<IReadOnlyList<LunOutcome>> UpdateLunImagesAsync(IReadOnlyList<LunRolloutRequest> requests, CancellationToken ct = default) =>
        new RolloutLuns(_ctx).RunAsync(requests, ct);

    /// <summary>What <see cref="UpdateLunImagesAsync"/> would do (reads the inventory and the live target; changes nothing).</summary>
    public Task<IReadOnlyList<LunRolloutPlan>> PlanLunImagesAsync(IReadOnlyList<LunRolloutRequest> requests, CancellationToken ct = default) =>
        new RolloutLuns(_ctx).PlanAsync(requests, ct);

    /// <summary>A backend's space and clone method, read from the host (one exchange; changes nothing).</summary>
    public async Task<BackendSpace> GetBackendSpaceAsync(string backendName, CancellationToken ct = default)
    {
        var b = _ctx.Backend(backendName);
        await using var s = await _ctx.Connector.OpenAsync(b, ct);
        return await Capacity.ReadAsync(s, b, ct);
    }
}
