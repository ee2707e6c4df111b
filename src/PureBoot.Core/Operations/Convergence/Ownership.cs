using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Transport;

namespace PureBoot.Core.Operations;

public enum OrphanKind : long { Target, Lun, NodeAcl, StorageObject, BackingData }

/// <summary>An object in PureBoot's namespace on a backend (its targets, its storage) that no inventory row owns.</summary>
internal sealed record Orphan(OrphanKind Kind, string Object, string Detail)
{
    /// <summary>The change that removes it (LIO objects).</summary>
    public LioChange? Removal { get; init; }
    /// <summary>The step that removes it (files and volumes), and how much it holds.</summary>
    public HostStep? DataRemoval { get; init; }
    public long AllocatedBytes { get; init; }
    /// <summary>A storage object exported by a target PureBoot does not manage: never removed.</summary>
    public bool ExportedElsewhere { get; init; }
}

/// <summary>
/// Who owns what on a backend: the one classification Get-IscsiTargetStatus reports and Sync-IscsiTarget acts on.
/// PureBoot's namespace is the backend's Shared target, its PerLun targets (IqnPrefix:backend.*) and the files or
/// volumes under its storage path; objects outside it are never touched.
/// </summary>
internal static class Ownership
{
    /// <param name="owned">Other data PureBoot owns there (images, snapshots, the thin pool): never an orphan.</param>
    public static List<Orphan> Find(Backend b, LioConfig live, IReadOnlyList<Lun> rows, IReadOnlyList<StorageEntry> storage, IReadOnlySet<string>? owned = null)
    {
        var orphans = new List<Orphan>();
        var ours = live.Targets.Where(t => b.OwnsTargetName(t.Wwn)).ToList();
        var item = LioChange.OrphanItem;
        foreach (var t in ours)
        {
            var tpg = t.Tpg1;
            if (tpg is null) continue;
            // A target in PureBoot's namespace that no row uses (a PerLun target, or the Shared target once its last
            // LUN is gone) goes whole, with whatever it still holds.
            if (!rows.Any(r => r.TargetIqn == t.Wwn))
            {
                orphans.Add(new(OrphanKind.Target, t.Wwn, "target with no inventory row") { Removal = new DeleteTarget(item, t.Wwn) });
                continue;
            }
            foreach (var l in tpg.Luns.Where(l => !rows.Any(r => r.TargetIqn == t.Wwn && r.TpgLunIndex == l.Index && r.StorageObjectName is not null)))
                orphans.Add(new(OrphanKind.Lun, $"{t.Wwn} lun{l.Index}", $"LUN {l.Index} ({l.StorageObject}) with no inventory row") { Removal = new DeleteLun(item, t.Wwn, l.Index) });
            foreach (var a in tpg.NodeAcls.Where(a => !rows.Any(r => r.TargetIqn == t.Wwn && r.InitiatorIqn == a.NodeWwn && r.NodeId is not null)))
                orphans.Add(new(OrphanKind.NodeAcl, $"{t.Wwn} acl {a.NodeWwn}", $"ACL for {a.NodeWwn} serving no assigned LUN") { Removal = new DeleteNodeAcl(item, t.Wwn, a.NodeWwn) });
        }
        var ownedSo = rows.Where(r => r.StorageObjectName is not null).Select(r => r.StorageObjectName!).ToHashSet();
        var prefix = b.BackingPathPrefix;
        foreach (var so in live.StorageObjects.Where(x => x.Plugin == b.StoragePlugin && x.Dev is not null && x.Dev.StartsWith(prefix, StringComparison.Ordinal) && !ownedSo.Contains(x.Name)))
        {
            var elsewhere = live.ExportersOf(so).Any(e => !ours.Contains(e.Target));
            orphans.Add(new(OrphanKind.StorageObject, so.Path, elsewhere
                ? "storage object with no inventory row, exported by a target PureBoot does not manage"
                : $"storage object for {so.Dev} with no inventory row")
            { Removal = elsewhere ? null : new DeleteStorageObject(item, b.StoragePlugin, so.Name), ExportedElsewhere = elsewhere });
        }
        var referenced = rows.SelectMany(r => new[] { r.BackingPath, r.SourceImage }).Where(p => p is not null).ToHashSet();
        foreach (var e in storage)
        {
            var path = prefix + e.Name;
            if (referenced.Contains(path) || live.UsesDevice(path) || owned?.Contains(path) == true) continue;
            var what = b.Storage == StorageKind.FileIO ? "file" : "logical volume";
            orphans.Add(new(OrphanKind.BackingData, path, $"{what} of {e.SizeBytes} bytes ({e.AllocatedBytes} allocated) is not used by any LUN")
            {
                DataRemoval = b.Storage == StorageKind.FileIO ? new RemoveFile(item, path) : new RemoveLogicalVolume(item, b.StoragePath, e.Name),
                AllocatedBytes = e.AllocatedBytes,
            });
        }
        return orphans;
    }
}
