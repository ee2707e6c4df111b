using PureBoot.Core.Model;

namespace PureBoot.Core.Transport;

// Shell work on the storage host that is not targetcli's. Steps are typed so that no caller composes shell
// text: the shell transport renders each with fixed command names and quoted, pre-validated arguments.
// ItemKey ties a step to the batch item it serves, so its failure lands on that item.

public abstract record HostStep(string ItemKey)
{
    /// <summary>A one-line description for logs and error messages (never holds a secret).</summary>
    public abstract string Describe();

    /// <summary>The file or device this step makes, when it makes one (a failed batch removes it again).</summary>
    public virtual string? CreatedPath => null;

    /// <summary>The file or device this step removes, when it removes one.</summary>
    public virtual string? RemovedPath => null;
}

/// <summary>mkdir -p (mode 0700 for new directories).</summary>
public sealed record MakeDirectory(string ItemKey, string Path) : HostStep(ItemKey)
{
    public override string Describe() => $"mkdir -p {Path}";
}

/// <summary>
/// A new sparse file of SizeBytes (truncate), refusing to overwrite. targetcli 2.1.53's own "sparse=true" calls
/// posix_fallocate and so allocates the whole file: PureBoot makes the file and hands it to targetcli without a size.
/// </summary>
public sealed record CreateSparseFile(string ItemKey, string Path, long SizeBytes) : HostStep(ItemKey)
{
    public override string Describe() => $"truncate -s {SizeBytes} {Path}";
    public override string? CreatedPath => Path;
}

/// <summary>Clone an image: cp --reflink=auto --sparse=always, refusing to overwrite.</summary>
public sealed record CopyImage(string ItemKey, string Source, string Destination) : HostStep(ItemKey)
{
    public override string Describe() => $"cp --reflink=auto --sparse=always {Source} {Destination}";
    public override string? CreatedPath => Destination;
}

/// <summary>Grow a file to SizeBytes (truncate); refuses to shrink.</summary>
public sealed record GrowFile(string ItemKey, string Path, long SizeBytes) : HostStep(ItemKey)
{
    public override string Describe() => $"grow {Path} to {SizeBytes} bytes";
}

public sealed record RemoveFile(string ItemKey, string Path) : HostStep(ItemKey)
{
    public override string Describe() => $"rm -f {Path}";
    public override string? RemovedPath => Path;
}

public sealed record CreateLogicalVolume(string ItemKey, string VolumeGroup, string Name, long SizeBytes) : HostStep(ItemKey)
{
    public override string Describe() => $"lvcreate -L {SizeBytes}b -n {Name} {VolumeGroup}";
    public override string? CreatedPath => $"/dev/{VolumeGroup}/{Name}";
}

public sealed record ExtendLogicalVolume(string ItemKey, string VolumeGroup, string Name, long SizeBytes) : HostStep(ItemKey)
{
    public override string Describe() => $"lvextend -L {SizeBytes}b {VolumeGroup}/{Name}";
}

public sealed record RemoveLogicalVolume(string ItemKey, string VolumeGroup, string Name) : HostStep(ItemKey)
{
    public override string Describe() => $"lvremove -f {VolumeGroup}/{Name}";
    public override string? RemovedPath => $"/dev/{VolumeGroup}/{Name}";
}

/// <summary>Removes a LUN's backing data: its file (FileIO) or logical volume (Block).</summary>
public static class BackingData
{
    public static HostStep Remove(Backend b, string itemKey, string backingPath, string storageObjectName) =>
        b.Storage == StorageKind.FileIO ? new RemoveFile(itemKey, backingPath) : new RemoveLogicalVolume(itemKey, b.StoragePath, storageObjectName);
}

/// <summary>Copy an image onto a block device (dd), for Block backends with a source image.</summary>
public sealed record CopyImageToDevice(string ItemKey, string Source, string Device) : HostStep(ItemKey)
{
    public override string Describe() => $"dd if={Source} of={Device}";
}

/// <summary>The outcome of one host step.</summary>
public sealed record StepResult(HostStep Step, bool Ok, string Message);
