namespace PureBoot.Core.Transport;

// Host steps of the disk lifecycle (images, clones, snapshots, reset, rollout, capacity). Like the others: typed,
// rendered by ShellScripts as calls of fixed pb_* functions with allow-listed, quoted arguments.

/// <summary>
/// A copy of a file that shares its data where the filesystem can: FICLONE (<c>cp --reflink=always</c>, XFS reflink=1 or
/// btrfs), else a sparse copy. Written to DEST.pbtmp and renamed, so DEST is whole or absent; refuses to overwrite.
/// Prints "reflink" or "copy: why". <paramref name="Mode"/> is the new file's mode (0400 for images and snapshots).
/// </summary>
public sealed record CloneFile(string ItemKey, string Source, string Destination, string Mode = "0600") : HostStep(ItemKey)
{
    public override string Describe() => $"clone {Source} to {Destination} (reflink, else sparse copy)";
    public override string? CreatedPath => Destination;
}

/// <summary>
/// Replaces DEST with a clone of SOURCE (made as DEST.pbnew, then renamed over DEST): DEST is the old disk or the new
/// one, never half of either. The storage object on DEST must be gone first. Prints "reflink" or "copy: why".
/// </summary>
public sealed record ReplaceFile(string ItemKey, string Source, string Destination) : HostStep(ItemKey)
{
    public override string Describe() => $"replace {Destination} with a clone of {Source}";
}

/// <summary>A thin logical volume of SizeBytes in the backend's thin pool (lvcreate -V -T).</summary>
public sealed record CreateThinVolume(string ItemKey, string VolumeGroup, string Pool, string Name, long SizeBytes) : HostStep(ItemKey)
{
    public override string Describe() => $"lvcreate -V {SizeBytes}b -T {VolumeGroup}/{Pool} -n {Name}";
    public override string? CreatedPath => $"/dev/{VolumeGroup}/{Name}";
}

/// <summary>
/// A thin snapshot of a thin volume (lvcreate -s, activated and not skipped at boot: -kn): no data is copied; the pool
/// shares the origin's blocks. ReadOnly for images and snapshots, writable for a LUN's clone. Refuses to overwrite.
/// </summary>
public sealed record ThinSnapshot(string ItemKey, string VolumeGroup, string Origin, string Name, bool ReadOnly) : HostStep(ItemKey)
{
    public override string Describe() => $"lvcreate -s -kn -p {(ReadOnly ? "r" : "rw")} -n {Name} {VolumeGroup}/{Origin}";
    public override string? CreatedPath => $"/dev/{VolumeGroup}/{Name}";
}

/// <summary>
/// Makes thin volume NAME again as a writable thin snapshot of SOURCE, in the place of the old volume that a
/// <see cref="RemoveLogicalVolumes"/> step just before it removed (one removal for a batch of replacements). NAME still
/// there (its removal failed): nothing changed, exit 17. When the snapshot fails otherwise the output says
/// <see cref="OldVolumeRemoved"/>: the disk is gone and the replacement must be finished (the pair is idempotent).
/// </summary>
public sealed record ReplaceThinVolume(string ItemKey, string VolumeGroup, string Source, string Name) : HostStep(ItemKey)
{
    public const string OldVolumeRemoved = "the old volume was removed but its replacement could not be made:";
    public static bool RemovedTheOld(string output) => output.Contains(OldVolumeRemoved, StringComparison.Ordinal);

    public override string Describe() => $"replace {VolumeGroup}/{Name} with a thin snapshot of {VolumeGroup}/{Source}";
}

/// <summary>Makes a logical volume read-only (lvchange -p r): an image is immutable once registered.</summary>
public sealed record MakeVolumeReadOnly(string ItemKey, string VolumeGroup, string Name) : HostStep(ItemKey)
{
    public override string Describe() => $"lvchange -p r {VolumeGroup}/{Name}";
}

/// <summary>
/// Checks that PATH is a regular file (not a link, device or directory) that resolves (realpath) inside
/// ImageDirectory, and prints "file SIZE BLOCKS BLOCKSIZE MAGIC" (MAGIC: its first 8 bytes in hex, so a qcow2 or VMDK
/// file is recognised). Changes nothing.
/// </summary>
public sealed record InspectImageFile(string ItemKey, string Path, string ImageDirectory) : HostStep(ItemKey)
{
    public override string Describe() => $"inspect image file {Path}";
}

/// <summary>Prints "file SIZE ALLOCATED" for a file, or "lv SIZE DATA%" for a logical volume. Changes nothing.</summary>
public sealed record MeasureData(string ItemKey, string Path) : HostStep(ItemKey)
{
    public override string Describe() => $"measure {Path}";
}

/// <summary>Prints each of the paths that does not exist, one per line (nothing when all do). Changes nothing.</summary>
public sealed record FindMissing(string ItemKey, IReadOnlyList<string> Paths) : HostStep(ItemKey)
{
    public override string Describe() => $"check that {Paths.Count} paths exist";
}

/// <summary>
/// What a backend's storage holds and how it clones. FileIO: the filesystem's type, size, used and free bytes, and
/// whether a file in the image directory can be reflinked into the storage directory (a 4 KiB probe file, removed
/// again). Block: the volume group's size and free bytes, and the thin pool's size, data % and metadata %; with
/// <paramref name="PoolOnly"/> (what a provisioning guard needs) only the thin pool's, read from the kernel's thin-pool
/// status instead of LVM's metadata (~50 ms against 0.3-0.5 s for an lvs under TCG).
/// </summary>
public sealed record ProbeSpace(string ItemKey, bool FileIO, string StoragePath, string ImageDirectory, string? ThinPool, bool PoolOnly = false) : HostStep(ItemKey)
{
    public override string Describe() => FileIO ? $"probe the space and clone method of {StoragePath}"
        : PoolOnly && ThinPool is not null ? $"probe the fill of thin pool {StoragePath}/{ThinPool}"
        : $"probe the space of volume group {StoragePath}{(ThinPool is null ? "" : $" and thin pool {ThinPool}")}";
}

/// <summary>Flushes what the batch wrote (new files' data and metadata) to disk before the batch reports done.</summary>
public sealed record SyncData(string ItemKey) : HostStep(ItemKey)
{
    public override string Describe() => "sync";
}

/// <summary>Writes an image file's data into a new thin volume, skipping zero blocks (dd conv=sparse): the pool keeps holes unallocated.</summary>
public sealed record FillThinVolume(string ItemKey, string Source, string Device) : HostStep(ItemKey)
{
    public override string Describe() => $"copy the data extents of {Source} into {Device}";
}
