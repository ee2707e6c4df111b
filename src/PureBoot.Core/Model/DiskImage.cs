namespace PureBoot.Core.Model;

/// <summary>
/// Creating/Deleting are written before the host is touched and mean "its data may partly exist"; Ready = registered
/// and immutable. Sync-IscsiTarget rolls an interrupted registration back and finishes an interrupted removal.
/// </summary>
public enum ImageStatus { Creating, Ready, Deleting }

/// <summary>
/// One version of a golden image on a backend: a read-only file under the backend's image directory (FileIO,
/// <c>&lt;dir&gt;/&lt;name&gt;/v&lt;version&gt;.img</c>) or a read-only thin logical volume in its thin pool (Block,
/// <c>img.&lt;name&gt;.v&lt;version&gt;</c>). Immutable once registered: LUNs are clones of it (reflink or thin
/// snapshot) and record it as their lineage.
/// </summary>
public sealed class DiskImage
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public int Version { get; set; }
    public long BackendId { get; set; }
    public string BackendName { get; set; } = "";
    /// <summary>The image file (FileIO) or /dev/VG/LV (Block).</summary>
    public string Path { get; set; } = "";
    public long SizeBytes { get; set; }
    /// <summary>Bytes the image's data occupies (st_blocks, or the thin volume's mapped share), measured when it was registered.</summary>
    public long AllocatedBytes { get; set; }
    /// <summary>Where it came from: "file /path" (a file on the host) or "lun NAME" (captured from a LUN).</summary>
    public string Source { get; set; } = "";
    public ImageStatus Status { get; set; } = ImageStatus.Creating;
    public string? Description { get; set; }
    public DateTimeOffset Created { get; set; }
    /// <summary>LUNs whose disk is a clone of this version (filled by reads; not stored).</summary>
    public IReadOnlyList<string> Luns { get; set; } = Array.Empty<string>();

    public int LunCount => Luns.Count;
    public double SizeGB => Math.Round(SizeBytes / 1073741824.0, 2);
    public double AllocatedGB => Math.Round(AllocatedBytes / 1073741824.0, 3);
    /// <summary>name:vN, how messages and Get-IscsiLun name an image version.</summary>
    public string Label => $"{Name}:v{Version}";

    public DiskImage Clone() => (DiskImage)MemberwiseClone();
    public override string ToString() => Label;
}
