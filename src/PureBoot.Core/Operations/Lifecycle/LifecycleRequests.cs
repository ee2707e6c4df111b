namespace PureBoot.Core.Operations;

/// <summary>New-IscsiImage: register the next version of an image from a file on the host, or captured from a LUN.</summary>
public sealed record ImageCreateRequest
{
    public required string Name { get; init; }
    /// <summary>The backend; with <see cref="Lun"/> it may be omitted (the LUN's backend).</summary>
    public string? Backend { get; init; }
    /// <summary>A raw disk image file on the host, under the backend's image directory (relative to it, or absolute).</summary>
    public string? Path { get; init; }
    /// <summary>A LUN whose current disk becomes the new version (prepare one node, capture, roll out).</summary>
    public string? Lun { get; init; }
    public string? Description { get; init; }
}

/// <summary>Remove-IscsiImage: a version (null: every version of the name). In use: refused unless DetachLuns.</summary>
public sealed record ImageRemoveRequest(string Name, string? Backend = null, int? Version = null, bool DetachLuns = false);

/// <summary>Checkpoint-IscsiLun: a named snapshot of a LUN's disk (null name: cp-yyyyMMdd-HHmmss).</summary>
public sealed record LunCheckpointRequest(string Lun, string? Snapshot = null, string? Description = null);

public sealed record SnapshotRemoveRequest(string Lun, string Snapshot);

/// <summary>Restore-IscsiLun: the LUN's disk becomes its snapshot again. Force drops the node's session first.</summary>
public sealed record LunRestoreRequest(string Lun, string Snapshot, bool Force = false);

/// <summary>Reset-IscsiLun: discard the node's writes, a fresh clone of the LUN's image version.</summary>
public sealed record LunResetRequest(string Lun, bool Force = false);

/// <summary>
/// Update-IscsiLun: move the LUN to an image version (Version null: the latest), keeping its disk as a snapshot; or,
/// with Rollback, restore the disk it had before its last rollout.
/// </summary>
public sealed record LunRolloutRequest(string Lun, string? Image = null, int? Version = null, bool Rollback = false, bool Force = false);

/// <summary>What Update-IscsiLun would do to one LUN (its -WhatIf output): read from the inventory and the live target, nothing changed.</summary>
public sealed class LunRolloutPlan
{
    public required string Lun { get; init; }
    public string? Backend { get; init; }
    public string? Node { get; init; }
    /// <summary>Rollout, Rollback, Unchanged (already on that version) or Refused.</summary>
    public string Action { get; init; } = "";
    public string? FromImage { get; init; }
    public string? ToImage { get; init; }
    /// <summary>Rollout: the snapshot that will keep the current disk. Rollback: the snapshot restored.</summary>
    public string? Snapshot { get; init; }
    /// <summary>The initiator logged in to the LUN now, if any (a rollout then needs -Force, which drops its session).</summary>
    public string? Session { get; init; }
    public string? Reason { get; init; }
    public override string ToString() => $"{Lun}: {Action} {FromImage ?? "-"} -> {ToImage ?? "-"}{(Reason is null ? "" : $" ({Reason})")}";
}
