using PureBoot.Core.Inventory;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;

namespace PureBoot.Core.Operations;

/// <summary>
/// A create request for a name that exists: what differs between the LUN and the request (none: the script ran
/// before and the LUN is as asked), and the error that says so, or says how to clear a failed one.
/// </summary>
internal static class ExistingLun
{
    public static List<string> Differences(EngineContext ctx, Lun lun, Backend backend, long size, string? source, LunCreateRequest r, ChapSettings? chap, Node? node)
    {
        var d = new List<string>();
        if (lun.Status is not (LunStatus.Ready or LunStatus.Active)) d.Add($"it is {lun.Status}");
        if (lun.BackendId != backend.Id) d.Add($"it is on backend '{lun.BackendName}', not '{backend.Name}'");
        if (size != 0 && lun.SizeBytes != size) d.Add($"it is {lun.SizeBytes} bytes, not {size}");
        if (source != lun.SourceImage) d.Add($"its source image is {lun.SourceImage ?? "none"}, not {source ?? "none"}");
        if (r.Image is not null && r.ImageVersion is { } v && lun.ImageVersion != v) d.Add($"it is a clone of {lun.Image ?? "no image"}, not version {v}");
        if (r.Purpose != lun.Purpose) d.Add($"its purpose is {lun.Purpose}, not {r.Purpose}");
        if (r.Description is not null && r.Description != lun.Description) d.Add("its description differs");
        if ((chap is not null) != lun.ChapEnabled) d.Add(lun.ChapEnabled ? "it has CHAP" : "it has no CHAP");
        if (chap is not null && lun.ChapEnabled)
        {
            if (r.ChapUser is not null && chap.User != lun.ChapUser) d.Add($"its CHAP user is {lun.ChapUser}");
            if (chap.Mutual != lun.MutualChapEnabled) d.Add(lun.MutualChapEnabled ? "it has mutual CHAP" : "it has no mutual CHAP");
            if (r.ChapSecret is not null || r.MutualChapSecret is not null)
            {
                var have = ctx.Chap.Open(lun);
                if (r.ChapSecret is not null && have?.Secret != r.ChapSecret) d.Add("its CHAP secret differs");
                if (r.MutualChapSecret is not null && have?.MutualSecret != r.MutualChapSecret) d.Add("its mutual CHAP secret differs");
            }
        }
        if (node is not null && lun.NodeId != node.Id)
            d.Add(lun.NodeName is null ? $"it is not assigned to node '{node.Name}'" : $"it is assigned to node '{lun.NodeName}', not '{node.Name}'");
        return d;
    }

    public static InventoryConflictException Conflict(Lun lun, IReadOnlyList<string> differences)
    {
        var message = lun.Status switch
        {
            LunStatus.Error => $"A LUN named '{lun.Name}' already exists and is in Error ({lun.ErrorMessage ?? "its last change failed"}). "
                + $"Remove it (Remove-IscsiLun {lun.Name}) and create it again, or run Sync-IscsiTarget {lun.BackendName} if the target may hold it.",
            LunStatus.Creating or LunStatus.Deleting => $"A LUN named '{lun.Name}' already exists and is {lun.Status}: its last change did not finish. Run Sync-IscsiTarget {lun.BackendName}.",
            _ when differences.Count == 0 => $"A LUN named '{lun.Name}' already exists as asked.",
            _ => $"A LUN named '{lun.Name}' already exists and differs from the request: {string.Join("; ", differences)}.",
        };
        return new InventoryConflictException(message, ConflictKind.AlreadyExists);
    }
}
