using System.Globalization;
using PureBoot.Core.Model;

namespace PureBoot.Core.Operations;

/// <summary>How a backend makes a LUN's disk from an image or a snapshot.</summary>
public enum CloneMethod
{
    /// <summary>FileIO on a filesystem with reflinks (XFS reflink=1, btrfs): FICLONE shares the data, nothing is copied.</summary>
    Reflink,
    /// <summary>FileIO elsewhere (ext4, or image directory and storage on different filesystems): a sparse copy of the data.</summary>
    SparseCopy,
    /// <summary>Block with a thin pool: a thin snapshot (lvcreate -s) shares the pool's blocks, nothing is copied.</summary>
    ThinSnapshot,
    /// <summary>Block without a thin pool, or the probe failed: images, snapshots and resets are not available.</summary>
    None,
}

/// <summary>
/// A backend's free and used space, read from the host (df for a FileIO directory; vgs and lvs for a volume group and
/// its thin pool), the clone method it will use, and the fill limit provisioning must stay under.
/// </summary>
public sealed class BackendSpace
{
    public required string Backend { get; init; }
    public StorageKind Storage { get; init; }
    public CloneMethod CloneMethod { get; init; }
    /// <summary>Why a FileIO backend copies (what FICLONE answered), or what the thin pool is.</summary>
    public string? CloneDetail { get; init; }
    public string? FilesystemType { get; init; }
    /// <summary>FileIO: the filesystem's size, used and free bytes. Block: the volume group's size, used and free bytes.</summary>
    public long? SizeBytes { get; init; }
    public long? UsedBytes { get; init; }
    public long? FreeBytes { get; init; }
    public string? ThinPool { get; init; }
    public long? ThinPoolSizeBytes { get; init; }
    public double? ThinPoolDataPercent { get; init; }
    public double? ThinPoolMetadataPercent { get; init; }
    public int MaxFillPercent { get; init; }
    /// <summary>What went wrong reading the space (no such volume group or thin pool), if anything.</summary>
    public string? Problem { get; init; }

    /// <summary>The fill that counts against the limit: the thin pool's data or metadata (the fuller), else the filesystem's.</summary>
    public double? FillPercent => ThinPool is not null
        ? Math.Max(ThinPoolDataPercent ?? 0, ThinPoolMetadataPercent ?? 0)
        : Storage == StorageKind.FileIO && SizeBytes is > 0 && UsedBytes is { } used ? Math.Round(100.0 * used / SizeBytes.Value, 2) : null;

    public bool OverLimit => FillPercent is { } f && f > MaxFillPercent;
    public double? SizeGB => SizeBytes is { } b ? Math.Round(b / 1073741824.0, 2) : null;
    public double? FreeGB => FreeBytes is { } b ? Math.Round(b / 1073741824.0, 2) : null;
    public double? ThinPoolSizeGB => ThinPoolSizeBytes is { } b ? Math.Round(b / 1073741824.0, 2) : null;

    public override string ToString() => $"{Backend}: {CloneMethod}, {(FillPercent is { } f ? f.ToString("0.##", CultureInfo.InvariantCulture) + "% full" : "fill unknown")} (limit {MaxFillPercent}%)";
}

/// <summary>Provisioning was refused: it would take a thin pool or filesystem beyond the backend's fill limit. Nothing was made.</summary>
public sealed class InsufficientSpaceException : Exception
{
    public string Backend { get; }
    /// <summary>The parameter that chose the backend (for messages and ErrorRecords).</summary>
    public string ParamName { get; }
    public InsufficientSpaceException(string backend, string paramName, string message) : base(message) { Backend = backend; ParamName = paramName; }
}
