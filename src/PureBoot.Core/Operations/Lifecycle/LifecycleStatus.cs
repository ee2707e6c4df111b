using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;

namespace PureBoot.Core.Operations;

/// <summary>
/// What Get-IscsiTargetStatus adds for a backend that uses the disk lifecycle (a thin pool, images or snapshots): its
/// space (the pool's data and metadata fill against its limit) and drift for images and snapshots whose data is gone
/// or whose last change did not finish. One more exchange, only for such backends.
/// </summary>
internal static class LifecycleStatus
{
    public static bool Applies(EngineContext ctx, Backend b) =>
        b.ThinPool is not null || ctx.Inventory.ListImages(backendId: b.Id).Count > 0 || ctx.Inventory.ListSnapshots(backendId: b.Id).Count > 0;

    public static async Task<(BackendSpace Space, List<DriftItem> Drift)> ReadAsync(EngineContext ctx, ITargetHostSession s, Backend b, CancellationToken ct)
    {
        var images = ctx.Inventory.ListImages(backendId: b.Id);
        var snapshots = ctx.Inventory.ListSnapshots(backendId: b.Id);
        var paths = images.Where(i => i.Status == ImageStatus.Ready).Select(i => i.Path).Concat(snapshots.Where(x => x.Status == SnapshotStatus.Ready).Select(x => x.Path)).ToList();
        var steps = new List<HostStep> { Capacity.Probe(b) };
        if (paths.Count > 0) steps.Add(new FindMissing(LioChange.SharedItem, paths));
        var r = await s.RunStepsAsync(steps, ct);
        var space = Capacity.Parse(b, r[0].Ok ? r[0].Message : "", r[0].Ok ? null : r[0].Message);
        var missing = r.Count > 1 && r[1].Ok ? StepOutput.Lines(r[1].Message).ToHashSet(StringComparer.Ordinal) : new HashSet<string>();
        var drift = new List<DriftItem>();
        foreach (var i in images)
        {
            if (i.Status != ImageStatus.Ready) drift.Add(new(DriftKind.InFlight, "image " + i.Label, $"{i.Status}: its last change did not finish; run Sync-IscsiTarget"));
            else if (missing.Contains(i.Path)) drift.Add(new(DriftKind.Missing, "image " + i.Label, $"its data {i.Path} is gone{(i.Luns.Count > 0 ? $" ({i.Luns.Count} LUNs record it: Reset-IscsiLun cannot work for them)" : "")}"));
        }
        foreach (var x in snapshots)
        {
            if (x.Status != SnapshotStatus.Ready) drift.Add(new(DriftKind.InFlight, $"snapshot {x}", $"{x.Status}: its last change did not finish; run Sync-IscsiTarget", x.LunName));
            else if (missing.Contains(x.Path)) drift.Add(new(DriftKind.Missing, $"snapshot {x}", $"its data {x.Path} is gone", x.LunName));
        }
        return (space, drift);
    }
}
