using PureBoot.Core.Model;
using PureBoot.Core.Transport;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>
/// Where images and snapshots live on a backend, and the host steps that clone, replace, grow and remove them.
/// FileIO: images are <c>&lt;image dir&gt;/&lt;name&gt;/v&lt;n&gt;.img</c>, snapshots <c>&lt;storage dir&gt;/snapshots/&lt;storage
/// object&gt;/&lt;name&gt;.img</c> (on the LUNs' filesystem, so a reflink can share their data). Block: thin volumes
/// <c>img.&lt;name&gt;.v&lt;n&gt;</c> and <c>snap.&lt;storage object&gt;.&lt;name&gt;</c> in the thin pool; a LUN name
/// never holds a dot, so these never clash with a LUN's volume.
/// </summary>
internal static class DiskLayout
{
    const int MaxLvName = 127;

    /// <summary>Refuses a Block backend without a thin pool: its images and snapshots would be full copies.</summary>
    public static void RequireLifecycle(Backend b, string parameter)
    {
        if (b.Storage == StorageKind.Block && b.ThinPool is null)
            throw new ValidationException(parameter, $"backend '{b.Name}' is a Block backend without a thin pool; images, clones, snapshots and resets need one (Set-IscsiBackend {b.Name} -ThinPool POOL).");
    }

    public static string ImagePath(Backend b, string name, int version) => b.Storage == StorageKind.FileIO
        ? $"{b.EffectiveImageDirectory.TrimEnd('/')}/{name}/v{version}.img"
        : $"/dev/{b.StoragePath}/img.{name}.v{version}";

    public static string SnapshotPath(Backend b, string storageObject, string snapshot)
    {
        if (b.Storage == StorageKind.FileIO) return $"{b.StoragePath.TrimEnd('/')}/snapshots/{storageObject}/{snapshot}.img";
        var lv = $"snap.{storageObject}.{snapshot}";
        if (lv.Length > MaxLvName)
            throw new ValidationException("Snapshot", $"'{snapshot}' with storage object '{storageObject}' makes the logical volume name {lv.Length} characters long; LVM allows {MaxLvName}. Use a shorter snapshot name.");
        return $"/dev/{b.StoragePath}/{lv}";
    }

    /// <summary>The logical volume's name in /dev/VG/NAME.</summary>
    public static string Volume(string devicePath) => devicePath[(devicePath.LastIndexOf('/') + 1)..];

    static string Parent(string path) => path[..path.LastIndexOf('/')];

    /// <summary>A new copy of SOURCE at DEST that shares its data (reflink / thin snapshot); read-only for images and snapshots.</summary>
    public static IEnumerable<HostStep> Clone(Backend b, string item, string source, string dest, bool readOnly)
    {
        if (b.Storage == StorageKind.FileIO)
        {
            yield return new MakeDirectory(item, Parent(dest));
            yield return new CloneFile(item, source, dest, readOnly ? "0400" : "0600");
        }
        else yield return new ThinSnapshot(item, b.StoragePath, Volume(source), Volume(dest), readOnly);
    }

    /// <summary>
    /// Block: the old volumes of a batch of replacements go in one lvremove before the batch's <see cref="Replace"/>
    /// steps (one LVM command for the batch instead of one a disk); FileIO renames each new file over its old one.
    /// </summary>
    public static HostStep? RemoveOldVolumes(Backend b, IReadOnlyList<string> destinations) =>
        b.Storage == StorageKind.Block && destinations.Count > 0
            ? new RemoveLogicalVolumes(Lio.LioChange.SharedItem, b.StoragePath, destinations.Select(Volume).ToList())
            : null;

    /// <summary>
    /// Replaces a LUN's disk at DEST with a clone of SOURCE (DEST's storage object must be gone; Block: after
    /// <see cref="RemoveOldVolumes"/>), then grows it to SIZE when SOURCE is smaller.
    /// </summary>
    public static IEnumerable<HostStep> Replace(Backend b, string item, string source, string dest, long sourceSize, long size)
    {
        if (b.Storage == StorageKind.FileIO)
        {
            yield return new ReplaceFile(item, source, dest);
            if (size > sourceSize) yield return new GrowFile(item, dest, size);
        }
        else
        {
            yield return new ReplaceThinVolume(item, b.StoragePath, Volume(source), Volume(dest));
            if (size > sourceSize) yield return new ExtendLogicalVolume(item, b.StoragePath, Volume(dest), size);
        }
    }

    public static HostStep Grow(Backend b, string item, string path, long size) =>
        b.Storage == StorageKind.FileIO ? new GrowFile(item, path, size) : new ExtendLogicalVolume(item, b.StoragePath, Volume(path), size);

    /// <summary>Removes an image's or snapshot's data, and what an interrupted clone of it may have left (FileIO .pbtmp).</summary>
    public static IEnumerable<HostStep> Remove(Backend b, string item, string path)
    {
        if (b.Storage == StorageKind.FileIO)
        {
            yield return new RemoveFile(item, path);
            yield return new RemoveFile(item, path + ".pbtmp");
        }
        else yield return new RemoveLogicalVolume(item, b.StoragePath, Volume(path));
    }

    /// <summary>
    /// Removes the data at each path that exists (FileIO: also a .pbtmp an interrupted clone left) and returns the
    /// items whose data could not be removed, with why. Paths that do not exist are fine: nothing to remove.
    /// </summary>
    public static async Task<Dictionary<string, string>> RemoveExistingAsync(ITargetHostSession s, Backend b, IReadOnlyList<(string Item, string Path)> items, CancellationToken ct)
    {
        var left = new Dictionary<string, string>(StringComparer.Ordinal);
        if (items.Count == 0) return left;
        var check = items.Select(i => i.Path).Concat(b.Storage == StorageKind.FileIO ? items.Select(i => i.Path + ".pbtmp") : Enumerable.Empty<string>()).ToList();
        var missing = (await s.RunStepsAsync(new HostStep[] { new FindMissing(Lio.LioChange.SharedItem, check) }, ct))[0];
        if (!missing.Ok) { foreach (var i in items) left[i.Item] = missing.Message; return left; }
        var gone = StepOutput.Lines(missing.Message).ToHashSet(StringComparer.Ordinal);
        var steps = new List<HostStep>();
        foreach (var (item, path) in items)
        {
            if (!gone.Contains(path)) steps.Add(b.Storage == StorageKind.FileIO ? new RemoveFile(item, path) : new RemoveLogicalVolume(item, b.StoragePath, Volume(path)));
            if (b.Storage == StorageKind.FileIO && !gone.Contains(path + ".pbtmp")) steps.Add(new RemoveFile(item, path + ".pbtmp"));
        }
        foreach (var r in await s.RunStepsAsync(steps, ct))
            if (!r.Ok) left[r.Step.ItemKey] = r.Message;
        return left;
    }
}
