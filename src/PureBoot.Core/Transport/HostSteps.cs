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

/// <summary>
/// Removes many logical volumes of one volume group in one lvremove: every LVM command reads and writes the whole VG's
/// metadata, so under TCG an lvremove of one volume costs 0.6-1 s at 100-360 volumes and one of many 0.16-0.25 s a
/// volume. Volumes already gone are fine. When some could not be removed, LVM's messages come with a last line naming
/// them (<see cref="NotRemoved"/>).
/// </summary>
public sealed record RemoveLogicalVolumes(string ItemKey, string VolumeGroup, IReadOnlyList<string> Names) : HostStep(ItemKey)
{
    public const string NotRemovedPrefix = "not removed:";

    public override string Describe() => Names.Count <= 3
        ? $"lvremove -f {string.Join(" ", Names.Select(n => VolumeGroup + "/" + n))}"
        : $"lvremove -f {VolumeGroup}/{Names[0]} and {Names.Count - 1} more volumes";

    /// <summary>What LVM said of VOLUME in a failed removal (all it said when no line names it).</summary>
    public static string Said(StepResult removal, string volume)
    {
        var lines = removal.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith(NotRemovedPrefix, StringComparison.Ordinal)).ToList();
        var mine = lines.Where(l => l.Contains("/" + volume + " ", StringComparison.Ordinal) || l.Contains("/" + volume + "\"", StringComparison.Ordinal) || l.EndsWith("/" + volume, StringComparison.Ordinal) || l.EndsWith("/" + volume + ".", StringComparison.Ordinal)).ToList();
        return string.Join(" ", mine.Count > 0 ? mine : lines);
    }

    /// <summary>The volumes a failed removal left, from its output's last line.</summary>
    public static IReadOnlySet<string> NotRemoved(string output) =>
        output.Split('\n').LastOrDefault(l => l.StartsWith(NotRemovedPrefix, StringComparison.Ordinal)) is { } line
            ? line[NotRemovedPrefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>(StringComparer.Ordinal);
}

/// <summary>Removes a LUN's backing data: its file (FileIO) or logical volume (Block).</summary>
public static class BackingData
{
    public static HostStep Remove(Backend b, string itemKey, string backingPath, string storageObjectName) =>
        b.Storage == StorageKind.FileIO ? new RemoveFile(itemKey, backingPath) : new RemoveLogicalVolume(itemKey, b.StoragePath, storageObjectName);

    /// <summary>
    /// Removes many LUNs' backing data: a file each (FileIO); one lvremove for all their volumes (Block; see
    /// <see cref="RemoveLogicalVolumes"/>). A volume already gone is fine. <see cref="Failures"/> reads which items'
    /// data is left.
    /// </summary>
    public static IReadOnlyList<HostStep> RemoveAll(Backend b, IReadOnlyList<(string ItemKey, string BackingPath, string StorageObjectName)> items) =>
        b.Storage == StorageKind.FileIO ? items.Select(i => (HostStep)new RemoveFile(i.ItemKey, i.BackingPath)).ToList()
        : items.Count == 0 ? Array.Empty<HostStep>()
        : new HostStep[] { new RemoveLogicalVolumes(Lio.LioChange.SharedItem, b.StoragePath, items.Select(i => i.StorageObjectName).ToList()) };

    /// <summary>The items of <see cref="RemoveAll"/> whose data was not removed, with why.</summary>
    public static IEnumerable<(string ItemKey, string Message)> Failures(IReadOnlyList<StepResult> results, IReadOnlyList<(string ItemKey, string BackingPath, string StorageObjectName)> items)
    {
        foreach (var r in results.Where(r => !r.Ok))
        {
            if (r.Step is not RemoveLogicalVolumes many) { yield return (r.Step.ItemKey, r.Message); continue; }
            var left = RemoveLogicalVolumes.NotRemoved(r.Output);
            foreach (var i in items.Where(i => left.Count == 0 || left.Contains(i.StorageObjectName)))
                yield return (i.ItemKey, $"could not remove {many.VolumeGroup}/{i.StorageObjectName}: {RemoveLogicalVolumes.Said(r, i.StorageObjectName)}");
        }
    }
}

/// <summary>Copy an image onto a block device (dd), for Block backends with a source image.</summary>
public sealed record CopyImageToDevice(string ItemKey, string Source, string Device) : HostStep(ItemKey)
{
    public override string Describe() => $"dd if={Source} of={Device}";
}

/// <summary>
/// The outcome of one host step. Message: what it printed when it succeeded, else "STEP failed (exit N): what it
/// printed"; Output: what it printed (redacted when it failed), for a caller that reads the step's own words.
/// </summary>
public sealed record StepResult(HostStep Step, bool Ok, string Message)
{
    public string Output { get; init; } = "";

    /// <summary>The result of a step that exited with <paramref name="rc"/> after printing <paramref name="output"/>.</summary>
    public static StepResult Of(HostStep step, int rc, string output)
    {
        var said = rc == 0 ? output : Redaction.RedactText(output);
        return new(step, rc == 0, rc == 0 ? said : $"{step.Describe()} failed (exit {rc}): {said}") { Output = said };
    }
}
