using PureBoot.Core.Inventory;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;
using PureBoot.Core.Validation;

namespace PureBoot.Core.Operations;

/// <summary>
/// New-IscsiLun -Image: resolves the image version a request names, makes the LUN's disk as a clone of it (reflink or
/// thin snapshot, so a 10 GiB image costs nothing until the node writes), and checks the backend's space before a
/// batch that allocates (image clones, thin volumes) writes anything.
/// </summary>
internal static class ImageClones
{
    /// <summary>The Ready image version a request names on its backend (null version: the latest Ready one).</summary>
    public static DiskImage Resolve(EngineContext ctx, Backend b, string imageName, int? version, string parameter = "Image")
    {
        var name = InputValidator.Name(imageName, parameter);
        if (version is { } v) InputValidator.ImageVersion(v, "ImageVersion");
        DiskLayout.RequireLifecycle(b, "Backend");
        var versions = ctx.Inventory.ListImages(backendId: b.Id).Where(i => string.Equals(i.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
        if (versions.Count == 0) throw new InventoryNotFoundException($"No image named '{name}' on backend '{b.Name}' (Get-IscsiImage lists them).");
        var image = version is { } want ? versions.FirstOrDefault(i => i.Version == want) : versions.Where(i => i.Status == ImageStatus.Ready).MaxBy(i => i.Version);
        if (image is null)
            throw new InventoryNotFoundException(version is null ? $"Image '{name}' on backend '{b.Name}' has no Ready version." : $"Image '{name}' on backend '{b.Name}' has no version {version} (it has {string.Join(", ", versions.Select(i => "v" + i.Version))}).");
        if (image.Status != ImageStatus.Ready) throw new InventoryConflictException($"Image {image.Label} on backend '{b.Name}' is {image.Status}; only a Ready version can be cloned.");
        return image;
    }

    /// <summary>The steps that make a new LUN's disk: a clone of its image (grown to the LUN's size when bigger), or a thin volume.</summary>
    public static IEnumerable<HostStep> Steps(Backend b, Lun row, DiskImage? image)
    {
        if (image is null)
        {
            yield return new CreateThinVolume(row.Name, b.StoragePath, b.ThinPool!, row.StorageObjectName!, row.SizeBytes);
            yield break;
        }
        foreach (var step in DiskLayout.Clone(b, row.Name, image.Path, row.BackingPath!, readOnly: false))
            if (step is not MakeDirectory) yield return step;   // the LUN directory is made for the whole batch
        if (row.SizeBytes > image.SizeBytes) yield return DiskLayout.Grow(b, row.Name, row.BackingPath!, row.SizeBytes);
    }

    /// <summary>True when a create batch on this backend allocates space up front (clones, thin volumes): then its space is checked first.</summary>
    public static bool Allocates(Backend b, IEnumerable<LunWork> ws) => b.ThinPool is not null || ws.Any(w => w.Row.ImageId is not null);

    /// <summary>Reads the backend's space and refuses the whole batch (every item fails, nothing written) when it would pass the limit.</summary>
    public static async Task<bool> EnsureSpaceAsync(EngineContext ctx, ITargetHostSession s, Backend b, HostSnapshot snap, List<LunWork> ws, CancellationToken ct)
    {
        var space = await Capacity.ReadAsync(s, b, snap, ct);
        long add = 0;
        foreach (var w in ws)
        {
            if (w.Row.ImageId is { } id) add += Capacity.CloneCost(space, ctx.Inventory.GetImageById(id)?.AllocatedBytes ?? 0);
            else if (b.Storage == StorageKind.Block && b.ThinPool is null) add += w.Row.SizeBytes;
        }
        try { Capacity.Ensure(b, space, add, "Backend"); return true; }
        catch (InsufficientSpaceException e)
        {
            foreach (var w in ws) { w.Fail(FailureKind.InsufficientSpace, e.Message); w.Outcome.Parameter = e.ParamName; }
            return false;
        }
    }
}
