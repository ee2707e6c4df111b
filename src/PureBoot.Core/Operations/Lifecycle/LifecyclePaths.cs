using PureBoot.Core.Model;

namespace PureBoot.Core.Operations;

/// <summary>The data of the disk lifecycle a backend holds besides LUN disks: never reported or removed as an orphan.</summary>
internal static class LifecyclePaths
{
    public static IReadOnlySet<string> Owned(EngineContext ctx, Backend b)
    {
        var owned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var i in ctx.Inventory.ListImages(backendId: b.Id)) owned.Add(i.Path);
        foreach (var s in ctx.Inventory.ListSnapshots(backendId: b.Id)) owned.Add(s.Path);
        // The thin pool is a logical volume in the volume group's listing: removing it would take every thin volume with it.
        if (b.Storage == StorageKind.Block && b.ThinPool is not null) owned.Add($"/dev/{b.StoragePath}/{b.ThinPool}");
        return owned;
    }
}
