namespace PureBoot.Core.Model;

/// <summary>Creating/Deleting: written before the host is touched (Sync-IscsiTarget rolls back or finishes); Ready: usable.</summary>
public enum SnapshotStatus { Creating, Ready, Deleting }

/// <summary>
/// A point-in-time copy of a LUN's disk: a reflink clone of its file (FileIO, <c>&lt;storage&gt;/snapshots/&lt;storage
/// object&gt;/&lt;name&gt;.img</c>) or a read-only thin snapshot of its volume (Block, <c>snap.&lt;storage
/// object&gt;.&lt;name&gt;</c>). Crash-consistent: it holds every write the target acknowledged before it was taken.
/// Named <c>LunName</c>/<c>SnapshotName</c> (no plain Name) so a piped snapshot binds to the LUN cmdlets' -Name
/// (alias LunName) and -Snapshot (alias SnapshotName) parameters correctly.
/// </summary>
public sealed class LunSnapshot
{
    public long Id { get; set; }
    public long LunId { get; set; }
    public string LunName { get; set; } = "";
    public string SnapshotName { get; set; } = "";
    public string BackendName { get; set; } = "";
    /// <summary>The snapshot's file (FileIO) or /dev/VG/LV (Block).</summary>
    public string Path { get; set; } = "";
    public long SizeBytes { get; set; }
    /// <summary>The image version the LUN's disk was a clone of when the snapshot was taken (restoring brings that lineage back).</summary>
    public long? ImageId { get; set; }
    public string? ImageName { get; set; }
    public int? ImageVersion { get; set; }
    public SnapshotStatus Status { get; set; } = SnapshotStatus.Creating;
    public string? Description { get; set; }
    public DateTimeOffset Created { get; set; }

    public double SizeGB => Math.Round(SizeBytes / 1073741824.0, 2);
    public string? Image => ImageName is null ? null : $"{ImageName}:v{ImageVersion}";

    public LunSnapshot Clone() => (LunSnapshot)MemberwiseClone();
    public override string ToString() => $"{LunName}@{SnapshotName}";
}
